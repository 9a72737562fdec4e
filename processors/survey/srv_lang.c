/**
 * @file srv_lang.c
 * @brief French or English (see srv_lang.h).
 */
#include "srv_lang.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const srv_fr[] = {
        "le", "la", "les", "des", "une", "est", "et", "pas", "pour", "dans",
        "je", "il", "que", "qui", "sur", "avec", "mais", "tres", "du", "au",
        "mon", "ma", "mes", "nous", "vous", "ce", "cette", "encore", "toujours",
        "merci", "rien", "depuis", "de", "un", "en", "ne", "sont", "mais",
        "très", "déjà", "été", "à", "ça", "où", NULL};
static const char *const srv_en[] = {
        "the", "and", "is", "not", "for", "in", "it", "was", "with", "my",
        "to", "of", "this", "that", "but", "very", "again", "still", "have",
        "has", "be", "at", "thanks", "thank", "no", "nothing", "since",
        "you", "we", NULL};

static int srv_in(const char *const *set, const char *w)
{
        for (; *set; set++)
                if (!strcmp(*set, w))
                        return 1;
        return 0;
}

const char *srv_lang_detect(const char *text, size_t len)
{
        int fr = 0, en = 0;
        char w[16];
        size_t n = 0;

        for (size_t i = 0; i <= len; i++) {
                unsigned char c = i < len ? (unsigned char)text[i] : ' ';
                /* é è ê à ç ù û ô î (UTF-8 lead 0xC3, then one of these) */
                if (c == 0xC3 && i + 1 < len &&
                    strchr("\xa0\xa7\xa8\xa9\xaa\xae\xb4\xb9\xbb",
                           (unsigned char)text[i + 1]))
                        fr++;
                if (isalpha(c) || c >= 0x80) { /* accented letters too */
                        if (n < sizeof(w) - 1)
                                w[n++] = (char)(c < 0x80 ? tolower(c) : c);
                        continue;
                }
                if (c == '\'' && n > 0 && n <= 2) { /* l', d', qu' */
                        fr++;
                        n = 0;
                        continue;
                }
                w[n] = '\0';
                if (n) {
                        fr += srv_in(srv_fr, w);
                        en += srv_in(srv_en, w);
                }
                n = 0;
        }
        if (fr + en < 2 && !(fr + en == 1 && len < 40))
                return fr + en ? (fr ? "fr" : "en") : "unknown";
        return fr > en ? "fr" : en > fr ? "en" : "unknown";
}

int srv_lang_function_word(const char *w)
{
        static const char *const more[] = {
                "les", "des", "un", "une", "est", "sont", "ont", "qui", "que",
                "il", "elle", "on", "ce", "se", "sa", "son", "ses", "leur",
                "aux", "par", "ou", "où", "ne", "en", "y", "the", "a", "an",
                "are", "was", "were", "been", "who", "which", "what", "as",
                "or", "so", "do", "did", "it's", "its", "they", "he", "she",
                "our", "your", "me", "i", NULL};
        return srv_in(srv_fr, w) || srv_in(srv_en, w) || srv_in(more, w);
}

const char *srv_lang_norm(const char *d)
{
        if (!strncasecmp(d, "fr", 2))
                return "fr";
        if (!strncasecmp(d, "en", 2))
                return "en";
        return NULL;
}
