/* Unit tests of common/models/vg_pii: each kind, its look-alikes, the
 * corpus tests/data/pii_corpus.tsv (recall of planted items, false
 * positives on look-alikes), and the edges (end of input, UTF-8, empty,
 * small output). */
#include "vg_mem.h"
#include "vg_pii.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char outbuf[8192];
static vg_pii_counts_t cnt;

/* @returns \p s scrubbed (static buffer), the counts in cnt. The input is
 * copied to a buffer of exactly its length (no NUL after it), so that a
 * read past the end shows under AddressSanitizer. */
static const char *scrub(const char *s)
{
        size_t len = strlen(s);
        char *in   = vg_malloc(len);

        memcpy(in, s, len);
        vg_pii_scrub(in, len, outbuf, sizeof(outbuf), &cnt);
        vg_free(in);
        ck_assert(!cnt.truncated);
        return outbuf;
}

/* \p in scrubs to \p want. */
#define ASSERT_SCRUB(in, want) ck_assert_str_eq(scrub(in), want)
/* \p in is left as it is. */
#define ASSERT_KEPT(in) ck_assert_str_eq(scrub(in), in)

static uint32_t total(const vg_pii_counts_t *c)
{
        uint32_t n = 0;

        for (int k = 0; k < VG_PII_KINDS; k++)
                n += c->n[k];
        return n;
}

/* ------------------------------------------------------------------ */
/* Kinds                                                              */

START_TEST(test_email)
{
        ASSERT_SCRUB("contact jean.dupont@exemple.fr.", "contact <EMAIL>.");
        ck_assert_uint_eq(cnt.n[VG_PII_EMAIL], 1);
        ck_assert_uint_eq(total(&cnt), 1);
        ASSERT_SCRUB("<j_doe+itsm@contoso.co.uk>", "<<EMAIL>>");
        ASSERT_SCRUB("mailto:a.b@c-d.com;x@y.org", "mailto:<EMAIL>;<EMAIL>");
        ck_assert_uint_eq(cnt.n[VG_PII_EMAIL], 2);
        ASSERT_SCRUB("(élodie.bernard@mairie-lyon.fr)", "(<EMAIL>)");
        ASSERT_SCRUB("'o'neil@example.org'", "'<EMAIL>'");
        /* the name part is not taken for a name after a title */
        ASSERT_SCRUB("Mme Claire.Fontaine@exemple.fr", "Mme <EMAIL>");
        ASSERT_SCRUB("tel 0612345678@sms.exemple.fr", "tel <EMAIL>");
        /* not e-mails */
        ASSERT_KEPT("ssh admin@srv-lnx-prd-07 failed");
        ASSERT_KEPT("ping @equipe-reseau and @channel");
        ASSERT_KEPT("a@b.c is not valid, nor x@.fr, nor y@z.f1");
        ASSERT_KEPT("@");
}
END_TEST

START_TEST(test_phone)
{
        static const char *fr[] = {
                "06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78",
                "0612345678", "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78",
                "+33(0)612345678", "+33612345678", "0033 6 12 34 56 78",
                "01 23 45 67 89", "0 800 123 456",
                "06\xc2\xa0" "12\xc2\xa0" "34\xc2\xa0" "56\xc2\xa0" "78",
                "06\xe2\x80\xaf" "12\xe2\x80\xaf" "34\xe2\x80\xaf" "56"
                "\xe2\x80\xaf" "78",
        };
        static const char *other[] = {
                "+44 20 7946 0958", "+49 30 12345678", "+32 2 123 45 67",
                "+41 22 345 67 89", "+212 6 12 34 56 78", "(415) 555-0132",
                "(415)555-0132", "415-555-0132", "415.555.0132",
                "415 555 0132", "1-800-555-0199", "+1 415 555 0132",
                "+1 (415) 555-0132", "+1-415-555-0132",
        };
        char in[128], want[128];

        for (size_t i = 0; i < sizeof(fr) / sizeof(*fr); i++) {
                snprintf(in, sizeof(in), "Tél : %s.", fr[i]);
                ck_assert_msg(!strcmp(scrub(in), "Tél : <PHONE>."),
                              "%s -> %s", in, outbuf);
                ck_assert_uint_eq(cnt.n[VG_PII_PHONE], 1);
        }
        for (size_t i = 0; i < sizeof(other) / sizeof(*other); i++) {
                snprintf(in, sizeof(in), "call %s now", other[i]);
                snprintf(want, sizeof(want), "call <PHONE> now");
                ck_assert_msg(!strcmp(scrub(in), want), "%s -> %s", in,
                              outbuf);
        }
        /* a number after it stays */
        ASSERT_SCRUB("06 12 34 56 78 12 fois", "<PHONE> 12 fois");
        /* look-alikes */
        ASSERT_KEPT("CHG0612345678 INC0612345678 x0612345678 0612345678x");
        ASSERT_KEPT("10.12.34.56 192.168.100.200 10.0.19045.3693");
        ASSERT_KEPT("2024-03-15 15/03/2024 15.03.2024 22:00-02:00");
        ASSERT_KEPT("1 250 000 EUR, 12 345,67 EUR, 1 234 567 890 EUR");
        ASSERT_KEPT("+1 500 000 000 users, +15 %, +20 000");
        ASSERT_KEPT("06 12 34 56 78,5 and 06 12 34 56.78");
        ASSERT_KEPT("00 00 00 00 00, 0012345678, 0123 45, 123-555-0132");
        ASSERT_KEPT("CVE-2024-3094, 2024-0612345678, 1.0612345678");
}
END_TEST

START_TEST(test_iban)
{
        ASSERT_SCRUB("IBAN FR76 3000 6000 0112 3456 7890 189 svp",
                     "IBAN <IBAN> svp");
        ck_assert_uint_eq(cnt.n[VG_PII_IBAN], 1);
        ASSERT_SCRUB("FR7630006000011234567890189.", "<IBAN>.");
        ASSERT_SCRUB("GB29 NWBK 6016 1331 9268 19 SVP", "<IBAN> SVP");
        ASSERT_SCRUB("DE89 3704 0044 0532 0130 00", "<IBAN>");
        ASSERT_SCRUB("CH37 1373 5379 9075 1163 7, ok", "<IBAN>, ok");
        ASSERT_SCRUB("FR23 5260 1815 90YD 25TS 4F5T 391 FIN", "<IBAN> FIN");
        /* check digits wrong, length wrong, lower case, glued */
        ASSERT_KEPT("FR77 3000 6000 0112 3456 7890 189");
        ASSERT_KEPT("FR76 3000 6000 0112 3456 7890 18");
        ASSERT_KEPT("DE89 3704 0044 0532 0130 001");
        ASSERT_KEPT("XFR7630006000011234567890189");
        ASSERT_KEPT("AB12 CD34, FR12, SN12345678, KB5034441");
}
END_TEST

START_TEST(test_nir)
{
        ASSERT_SCRUB("NIR 1 85 05 78 006 084 91.", "NIR <NIR>.");
        ck_assert_uint_eq(cnt.n[VG_PII_NIR], 1);
        ASSERT_SCRUB("185057800608491", "<NIR>");
        ASSERT_SCRUB("1850578006084 91", "<NIR>");
        ASSERT_SCRUB("1.85.05.78.006.084.91", "<NIR>");
        ASSERT_SCRUB("Corse 2 69 11 2A 004 123 13, 269112A00412313",
                     "Corse <NIR>, <NIR>");
        ASSERT_SCRUB("1 72 03 2B 033 041 94", "<NIR>");
        /* key wrong, month 13, mixed separators, spaced elsewhere */
        ASSERT_KEPT("1 85 05 78 006 084 92");
        ASSERT_KEPT("1 85 13 78 006 084 91");
        ASSERT_KEPT("1 85 05.78 006 084 91");
        ASSERT_KEPT("18 50 57 80 06 08 49 1");
        ASSERT_KEPT("2 69 11 2C 004 123 13");
}
END_TEST

START_TEST(test_card)
{
        ASSERT_SCRUB("carte 4970 8887 1803 3406 exp", "carte <CARD> exp");
        ck_assert_uint_eq(cnt.n[VG_PII_CARD], 1);
        ASSERT_SCRUB("4532-1878-0175-9899", "<CARD>");
        ASSERT_SCRUB("5412834788783846", "<CARD>");
        ASSERT_SCRUB("Amex 3714 635515 05879", "Amex <CARD>");
        ASSERT_SCRUB("340070658948114", "<CARD>");
        ASSERT_SCRUB("4556 4026 1401 4193 147", "<CARD>");
        /* Luhn fails, unknown issuer, groups of 3, mixed separators */
        ASSERT_KEPT("4970 8887 1803 3407");
        ASSERT_KEPT("1234 5678 9012 3452");
        ASSERT_KEPT("497 088 871 803 340 6");
        ASSERT_KEPT("4970-8887 1803-3406");
        ASSERT_KEPT("4970.8887.1803.3406");
}
END_TEST

START_TEST(test_name)
{
        ASSERT_SCRUB("Mme Sophie Lemaire a validé", "Mme <NAME> a validé");
        ck_assert_uint_eq(cnt.n[VG_PII_NAME], 1);
        ASSERT_SCRUB("M. Dupont, M.Faure et MM. Durand et Martin",
                     "M. <NAME>, M.<NAME> et MM. <NAME> et Martin");
        ASSERT_SCRUB("Mr. John Smith; Mrs Patel; Ms. Kowalski; Mx Lee",
                     "Mr. <NAME>; Mrs <NAME>; Ms. <NAME>; Mx <NAME>");
        ASSERT_SCRUB("Dr Ng, Dr. Zoë O'Connor, Pr Hélène Lefèvre-Dubois",
                     "Dr <NAME>, Dr. <NAME>, Pr <NAME>");
        ASSERT_SCRUB("monsieur Jean-Pierre Rousseau et MADAME DURAND",
                     "monsieur <NAME> et MADAME <NAME>");
        ASSERT_SCRUB("Me Françoise d'Aubigné, Maître Rossi, maître Éric",
                     "Me <NAME>, Maître <NAME>, maître <NAME>");
        ASSERT_SCRUB("M. de la Tour, Mme van der Berg, M. J.-P. Martin",
                     "M. <NAME>, Mme <NAME>, M. <NAME>");
        ASSERT_SCRUB("Mme \xc5\x81ukasiewicz, M. \xc3\x89mile",
                     "Mme <NAME>, M. <NAME>");
        ASSERT_SCRUB("Mr O\xe2\x80\x99" "Brien!", "Mr <NAME>!");
        /* not names */
        ASSERT_KEPT("Monsieur le Directeur, Madame la Directrice");
        ASSERT_KEPT("Mme a appelé, M. le Maire, Dr. who");
        ASSERT_KEPT("M365, MS Teams, DR site, PR 1234, Me 15 mars");
        ASSERT_KEPT("Mme X. et Mlle, Mr.");
        ASSERT_KEPT("FM. Dupont, Mmex Dupont, Mister, the miss Windows");
}
END_TEST

START_TEST(test_name_plain)
{
        ASSERT_SCRUB("Hélène Martin a validé", "<NAME> a validé");
        ck_assert_uint_eq(cnt.n[VG_PII_NAME], 1);
        ck_assert_uint_eq(total(&cnt), 1);
        ASSERT_SCRUB("merci à Jean-Pierre Rousseau et Zoé Marchand-Dubois",
                     "merci à <NAME> et <NAME>");
        ASSERT_SCRUB("Yann Le Gall, Louis de Villiers, Jean de La Fontaine",
                     "<NAME>, <NAME>, <NAME>");
        ASSERT_SCRUB("Mary Ann Smith; Sami Ben Salah; Nicolas BERTRAND.",
                     "<NAME>; <NAME>; <NAME>.");
        ASSERT_SCRUB("(Élodie Garnier) Michael O'Connor's laptop",
                     "(<NAME>) <NAME> laptop");
        ASSERT_SCRUB("Thomas Müller\xc2\xa0Ł", "<NAME>\xc2\xa0Ł");
        ASSERT_SCRUB("Émile Łukasiewicz", "<NAME>");
        /* across the sorted table: its ends, the middle, accents */
        {
                static const char *firsts[] = {
                        "Aaron", "Abby", "Chloë", "Hélène", "Jean", "Kylian",
                        "Marie", "Mohammed", "Zohra", "Zoé", "Zoë",
                        "Églantine", "Éloïse", "Éveline", "Anne-Sophie",
                        "Jean-Baptiste", "Marie-Hélène",
                };
                char in[64];
                for (size_t i = 0; i < sizeof(firsts) / sizeof(*firsts);
                     i++) {
                        snprintf(in, sizeof(in), "x %s Martin.", firsts[i]);
                        ck_assert_msg(!strcmp(scrub(in), "x <NAME>."),
                                      "%s -> %s", in, outbuf);
                }
        }
        /* a title first: the title is kept, as before */
        ASSERT_SCRUB("Mme Sophie Lemaire", "Mme <NAME>");
        /* a first name alone, or not followed by a capitalised word */
        ASSERT_KEPT("Merci Claire ! Bonjour Sophie, Pierre et Paul.");
        ASSERT_KEPT("Claire est partie, la réponse est claire.");
        ASSERT_KEPT("Sophie a dit, Thomas est parti; Anna's desk");
        ASSERT_KEPT("Sophie L. et Julie M. / Sophie\tMartin / Sophie  Martin");
        /* not listed: common words, products, places; capitals; order */
        ASSERT_KEPT("Will Microsoft fix it? Grace Period, Max Connections, "
                    "June Release, Crystal Reports, Aurora PostgreSQL");
        ASSERT_KEPT("JEAN DUPONT, DUPONT Jean, jean Dupont, Jeanne-marie X");
        ASSERT_KEPT("Jean-luc Martin, Marie_2 Dupont, Emma2 Stone");
        /* a surname glued to a digit, an e-mail or a host is no name */
        ASSERT_KEPT("Julie Dupont2, Paul Martin_old, Anna Server.local");
        ASSERT_SCRUB("Julie Dupont@exemple.fr", "Julie <EMAIL>");
}
END_TEST

START_TEST(test_url)
{
        ASSERT_SCRUB("lien https://portail.exemple.fr/reset?token=a8F3kL9z "
                     "expiré",
                     "lien <URL> expiré");
        ck_assert_uint_eq(cnt.n[VG_PII_URL], 1);
        ck_assert_uint_eq(total(&cnt), 1);
        /* query, fragment, user-info, '@', token segments */
        ASSERT_SCRUB("see https://docs.example.com/guide#install.",
                     "see <URL>.");
        ASSERT_SCRUB("ftp://jdupont:pw@ftp.exemple.fr/depot ok", "<URL> ok");
        ASSERT_SCRUB("http://x.fr/u/jean.dupont@exemple.fr/p", "<URL>");
        ASSERT_SCRUB("https://d.fr/s/550e8400-e29b-41d4-a716-446655440000/v",
                     "<URL>");
        ASSERT_SCRUB("www.exemple.fr/confirm/eyJhbGciOiJIUzI1NiJ9abc; fin",
                     "<URL>; fin");
        ASSERT_SCRUB("HTTPS://EXEMPLE.FR/A?B=C", "<URL>");
        ASSERT_SCRUB("(https://x.fr/a_(b)?c=1) and [http://x.fr/?q=1]",
                     "(<URL>) and [<URL>]");
        ASSERT_SCRUB("«https://x.fr/été?q=é» — ok", "«<URL>» — ok");
        /* kept: no query, fragment, '@' or token; slugs and versions */
        ASSERT_KEPT("Voir https://intranet.exemple.fr/support/faq. Merci.");
        ASSERT_KEPT("https://example.com/release-2024-notes-windows-server");
        ASSERT_KEPT("https://dl.example.com/v10.2.3/agent-10.2.3-x86_64.rpm");
        ASSERT_KEPT("www.service-public.fr, https://x.fr/?, https://x.fr/#");
        ASSERT_KEPT("https://x.fr/ABCDEFGHIJKLMNOPQRST/1234567890123456789");
        ASSERT_KEPT("http:// https:// www. wwwx.fr/?a=1 xhttps://a.fr/?q=1");
        /* what a kept URL holds is scrubbed as any text */
        ASSERT_SCRUB("https://x.fr/tel/0612345678", "https://x.fr/tel/<PHONE>");
}
END_TEST

START_TEST(test_more_shapes)
{
        /* NIR without its key: in its six groups only */
        ASSERT_SCRUB("NIR 1 85 05 78 006 084 saisi", "NIR <NIR> saisi");
        ASSERT_SCRUB("2.91.07.75.112.305 (clé ?)", "<NIR> (clé ?)");
        ASSERT_SCRUB("2 69 11 2A 004 123.", "<NIR>.");
        ASSERT_KEPT("1850578006084, EAN 3760123456789, t=1710508812345");
        ASSERT_KEPT("1 85 05 78 006 084 92, 1 85 05 78 006 084 9");
        ASSERT_KEPT("1 85 13 78 006 084, 1 85 05 00 006 084, "
                    "1 85 05 78 000 084, 1 85 05 78 006 000");
        /* Italian numbers keep their 0 */
        ASSERT_SCRUB("Roma +39 06 1234 5678, 0039 02 1234 5678",
                     "Roma <PHONE>, <PHONE>");
        ASSERT_KEPT("+44 0532 0130 001");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Corpus                                                             */

typedef struct {
        int kind;
        char value[256];
} item_t;

/* Parses "kind=value;kind=value" into items. @returns their number. */
static int parse_items(char *s, item_t *items, int max)
{
        int n = 0;

        if (!strcmp(s, "-") || !strcmp(s, "~"))
                return 0;
        for (char *tok = strtok(s, ";"); tok; tok = strtok(NULL, ";")) {
                char *eq = strchr(tok, '=');
                ck_assert_ptr_nonnull(eq);
                *eq = '\0';
                ck_assert_int_lt(n, max);
                items[n].kind = vg_pii_kind_from_name(tok);
                ck_assert_msg(items[n].kind >= 0, "kind %s", tok);
                vg_strlcpy(items[n].value, eq + 1, sizeof(items[n].value));
                n++;
        }
        return n;
}

/* @returns the occurrences of \p needle in \p hay. */
static int occurrences(const char *hay, const char *needle)
{
        int n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

START_TEST(test_corpus)
{
        const char *dir = getenv("VG_TEST_DATA");
        char path[512], line[2048];
        int sentences = 0, planted = 0, found = 0, alikes = 0, scrubbed = 0;
        int extra = 0, langs_fr = 0, known = 0, known_scrubbed = 0, fp = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/pii_corpus.tsv",
                 dir ? dir : "tests/data");
        f = fopen(path, "r");
        ck_assert_msg(f != NULL, "%s", path);
        while (fgets(line, sizeof(line), f)) {
                item_t items[8];
                int per_kind[VG_PII_KINDS] = {0}, n;
                size_t len = strcspn(line, "\n");
                char *tab;
                const char *out;

                line[len] = '\0';
                if (line[0] == '#' || !line[0])
                        continue;
                tab = strchr(line, '\t');
                ck_assert_msg(tab != NULL, "no tab: %s", line);
                *tab = '\0';
                if (!strcmp(tab + 1, "~")) { /* known to be taken */
                        out = scrub(line);
                        sentences++;
                        known++;
                        known_scrubbed += strcmp(out, line) != 0;
                        continue;
                }
                n   = parse_items(tab + 1, items, 8);
                out = scrub(line);
                sentences++;
                langs_fr += strstr(line, "\xc3\xa9") != NULL;
                for (int k = 0; k < VG_PII_KINDS; k++)
                        ck_assert_int_eq(occurrences(out, vg_pii_placeholder(
                                                                  k)),
                                         (int)cnt.n[k]);
                if (n == 0) {
                        alikes++;
                        fp += (int)total(&cnt);
                        if (strcmp(out, line)) {
                                scrubbed++;
                                fprintf(stderr, "look-alike scrubbed: %s\n"
                                                "                 ->  %s\n",
                                        line, out);
                        }
                        continue;
                }
                for (int i = 0; i < n; i++)
                        per_kind[items[i].kind]++;
                for (int i = 0; i < n; i++) {
                        int k  = items[i].kind;
                        int ok = !strstr(out, items[i].value) &&
                                 (int)cnt.n[k] >= per_kind[k];
                        planted++;
                        found += ok;
                        if (!ok)
                                fprintf(stderr, "missed %s=%s in: %s\n"
                                                "               ->  %s\n",
                                        vg_pii_kind_name(k), items[i].value,
                                        line, out);
                }
                if ((int)total(&cnt) > n) {
                        extra += (int)total(&cnt) - n;
                        fprintf(stderr, "extra placeholder: %s\n"
                                        "               ->  %s\n",
                                line, out);
                }
        }
        fclose(f);
        printf("pii corpus: %d sentences (%d with accented letters), %d planted items "
               "in %d: recall %.1f%% (%d/%d), %d extra placeholders; %d "
               "look-alike sentences: %d false positive placeholders in %d "
               "sentences, plus %d of %d known ambiguous ones (products and "
               "places named like people, a commit hash or a route in a "
               "URL)\n",
               sentences, langs_fr, planted, sentences - alikes - known,
               100.0 * found / planted, found, planted, extra, alikes, fp,
               scrubbed, known_scrubbed, known);
        ck_assert_int_ge(sentences, 200);
        ck_assert_int_ge(alikes, 50);
        ck_assert_msg(found * 100 >= planted * 99, "recall %d/%d", found,
                      planted);
        ck_assert_msg(fp <= 3, "%d false positives", fp);
        ck_assert_int_eq(scrubbed, 0);
        ck_assert_int_eq(extra, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Edges                                                              */

START_TEST(test_empty)
{
        char out[4] = "xyz";

        ck_assert_uint_eq(vg_pii_scrub("", 0, out, sizeof(out), &cnt), 0);
        ck_assert_str_eq(out, "");
        ck_assert_uint_eq(total(&cnt), 0);
        ck_assert_int_eq(cnt.truncated, 0);
        ck_assert_uint_eq(vg_pii_scrub(NULL, 0, NULL, 0, NULL), 0);
        ck_assert_uint_eq(vg_pii_scrub("abc", 3, NULL, 0, &cnt), 0);
        ck_assert_int_eq(cnt.truncated, 1);
        ck_assert_uint_eq(vg_pii_scrub("abc", 3, out, 1, &cnt), 0);
        ck_assert_str_eq(out, "");
        ck_assert_uint_eq(vg_pii_scrub("abc", 3, out, 4, NULL), 3);
        ck_assert_str_eq(out, "abc");
        ck_assert_str_eq(vg_pii_placeholder(VG_PII_IBAN), "<IBAN>");
        ck_assert_ptr_null(vg_pii_placeholder(VG_PII_KINDS));
        ck_assert_str_eq(vg_pii_kind_name(VG_PII_NIR), "nir");
        ck_assert_ptr_null(vg_pii_kind_name((vg_pii_kind_t)-1));
        ck_assert_int_eq(vg_pii_kind_from_name("card"), VG_PII_CARD);
        ck_assert_int_eq(vg_pii_kind_from_name("ssn"), -1);
        ck_assert_str_eq(vg_pii_placeholder(VG_PII_URL), "<URL>");
        ck_assert_str_eq(vg_pii_kind_name(VG_PII_URL), "url");
        ck_assert_int_eq(vg_pii_kind_from_name("url"), VG_PII_URL);
}
END_TEST

/* Items that end the input, cut short at its end, or hold NUL bytes. */
START_TEST(test_end_of_input)
{
        static const char *at_end[][2] = {
                {"x jean@exemple.fr", "x <EMAIL>"},
                {"x 06 12 34 56 78", "x <PHONE>"},
                {"x +33 6 12 34 56 78", "x <PHONE>"},
                {"x (415) 555-0132", "x <PHONE>"},
                {"x FR76 3000 6000 0112 3456 7890 189", "x <IBAN>"},
                {"x 1 85 05 78 006 084 91", "x <NIR>"},
                {"x 4970 8887 1803 3406", "x <CARD>"},
                {"x Mme Lemaire", "x Mme <NAME>"},
                {"x M. J.-P. Li", "x M. <NAME>"},
                {"x Hélène Martin", "x <NAME>"},
                {"x Yann Le Gall", "x <NAME>"},
                {"x https://a.fr/?t=1", "x <URL>"},
                {"x www.a.fr#k", "x <URL>"},
                {"x 1 85 05 78 006 084", "x <NIR>"},
        };
        static const char *cut[] = {
                "x jean@exemple.", "x jean@", "x 06 12 34 56 7", "x +",
                "x +33 (0", "x (415", "x FR76 3000", "x FR7", "x 1 85 05 2",
                "x 1 85 05 78 006 084 9", "x Mme", "x Mme ", "x M.",
                "x M. de", "x M. d'", "x Mme L", "x \xc3", "x Mme \xc3",
                "x Mme \xc3\x89", "x \xe2\x80", "x 06\xc2", "x Hélène",
                "x Hélène ", "x Hélène M", "x https://a.fr/?",
                "x https://", "x www.", "x 1 85 05 78 006 08",
                "x Hélène \xc3",
        };

        for (size_t i = 0; i < sizeof(at_end) / sizeof(*at_end); i++)
                ck_assert_msg(!strcmp(scrub(at_end[i][0]), at_end[i][1]),
                              "%s -> %s", at_end[i][0], outbuf);
        for (size_t i = 0; i < sizeof(cut) / sizeof(*cut); i++)
                ck_assert_msg(!strcmp(scrub(cut[i]), cut[i]), "%s -> %s",
                              cut[i], outbuf);
        /* NUL bytes are copied and separate */
        ck_assert_uint_eq(vg_pii_scrub("a\0b 06 12 34 56 78\0c", 20, outbuf,
                                       sizeof(outbuf), &cnt), 13);
        ck_assert_int_eq(memcmp(outbuf, "a\0b <PHONE>\0c", 14), 0);
}
END_TEST

START_TEST(test_utf8)
{
        const char *s = "Réunion à 14h : l'équipe «réseau» a noté 3 œufs "
                        "— ça marche. Ελληνικά, русский, 日本語 🎉";

        ASSERT_KEPT(s);
        ASSERT_SCRUB("«jean@exemple.fr» — 06 12 34 56 78 …",
                     "«<EMAIL>» — <PHONE> …");
        ASSERT_SCRUB("Tél.\xc2\xa0:\xc2\xa0" "06 12 34 56 78",
                     "Tél.\xc2\xa0:\xc2\xa0<PHONE>");
        /* a number glued to an accented letter is part of a word */
        ASSERT_KEPT("é0612345678 0612345678é");
        /* invalid UTF-8 is copied as it is */
        ASSERT_SCRUB("\xff\xfe Mme Dupont \xc3", "\xff\xfe Mme <NAME> \xc3");
}
END_TEST

/* A too small output: a prefix of the whole output, cut before a
 * placeholder that does not fit or an incomplete character; no item. */
START_TEST(test_truncated)
{
        const char *s = "Mme Hélène Lefèvre (hélène@exemple.fr, 06 12 34 56 "
                        "78) a payé avec 4970 8887 1803 3406 — merci à "
                        "Zoé Fabre-Lefèvre https://x.fr/r?t=8842 l'équipe";
        size_t len = strlen(s);
        char full[512], out[512];
        size_t n = vg_pii_scrub(s, len, full, sizeof(full), &cnt), m;

        ck_assert_int_eq(cnt.truncated, 0);
        ck_assert_uint_eq(total(&cnt), 6);
        for (size_t size = 1; size <= n + 1; size++) {
                vg_pii_counts_t c;
                m = vg_pii_scrub(s, len, out, size, &c);
                ck_assert_uint_lt(m, size);
                ck_assert_uint_eq(strlen(out), m);
                ck_assert_int_eq(memcmp(out, full, m), 0);
                ck_assert_int_eq(c.truncated, size <= n);
                /* never cut inside a placeholder or a character */
                ck_assert_msg(m == n || full[m] == '<' ||
                                      ((unsigned char)full[m] & 0xC0) != 0x80,
                              "cut at %zu: %s", m, out);
                ck_assert_int_eq(occurrences(out, "<") - occurrences(out, ">"),
                                 0);
                ck_assert_ptr_null(strstr(out, "Lef"));
                ck_assert_ptr_null(strstr(out, "8887"));
                ck_assert_ptr_null(strstr(out, "34 56"));
                ck_assert_ptr_null(strstr(out, "Zoé"));
                ck_assert_ptr_null(strstr(out, "8842"));
        }
}
END_TEST

/* VG_PII_OUT_MAX() is enough, for the worst case and random texts made
 * of pieces of items. */
START_TEST(test_bound)
{
        static const char *pieces[] = {
                "M.Li ", "Mr Li ", "a@b.fr ", "06 12 34 56 78", " ", "+",
                "(", ")", "-", ".", "FR76", "3000", "2A", "\xc3\xa9", "Mme",
                "\xc2\xa0", "4970", "@", "Dupont", "0", "12", "'", "\xff",
                "de ", "J.", "x", "Jean ", "Zoé ", "Le ", "https://a.fr/",
                "www.", "?", "#", "a1b2c3d4e5f6g7h8",
        };
        char in[600], out[VG_PII_OUT_MAX(600)];
        uint64_t rng = 88172645463325252ULL;
        vg_pii_counts_t c;
        size_t n;

        /* the worst case: twice the input */
        n = vg_pii_scrub("M.Li", 4, out, VG_PII_OUT_MAX(4), &c);
        ck_assert_uint_eq(n, 8);
        ck_assert_str_eq(out, "M.<NAME>");
        for (int i = 0; i < 100; i++)
                memcpy(in + 5 * i, "M.Li ", 5);
        n = vg_pii_scrub(in, 500, out, VG_PII_OUT_MAX(500), &c);
        ck_assert_uint_eq(n, 900);
        ck_assert_uint_eq(c.n[VG_PII_NAME], 100);
        for (int t = 0; t < 20000; t++) {
                size_t len = 0;
                while (len < 500) {
                        const char *p;
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        p = pieces[rng % (sizeof(pieces) / sizeof(*pieces))];
                        memcpy(in + len, p, strlen(p));
                        len += strlen(p);
                        if (rng % 97 == 0)
                                break;
                }
                n = vg_pii_scrub(in, len, out, VG_PII_OUT_MAX(len), &c);
                ck_assert_int_eq(c.truncated, 0);
                ck_assert_uint_le(n, 2 * len);
        }
}
END_TEST

static Suite *pii_suite(void)
{
        Suite *s  = suite_create("pii");
        TCase *tc = tcase_create("Kinds");
        tcase_add_test(tc, test_email);
        tcase_add_test(tc, test_phone);
        tcase_add_test(tc, test_iban);
        tcase_add_test(tc, test_nir);
        tcase_add_test(tc, test_card);
        tcase_add_test(tc, test_name);
        tcase_add_test(tc, test_name_plain);
        tcase_add_test(tc, test_url);
        tcase_add_test(tc, test_more_shapes);
        suite_add_tcase(s, tc);
        tc = tcase_create("Corpus");
        tcase_add_test(tc, test_corpus);
        suite_add_tcase(s, tc);
        tc = tcase_create("Edges");
        tcase_add_test(tc, test_empty);
        tcase_add_test(tc, test_end_of_input);
        tcase_add_test(tc, test_utf8);
        tcase_add_test(tc, test_truncated);
        tcase_add_test(tc, test_bound);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(pii_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
