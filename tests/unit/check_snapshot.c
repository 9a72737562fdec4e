/**
 * @file check_snapshot.c
 * @brief Snapshot envelope and every model: bit-exact resume after reload,
 *        corrupt / truncated / foreign buffers refused, atomic files.
 *        Also the hash and CRC reference vectors.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vg_ftrl.h"
#include "vg_hash.h"
#include "vg_kmeans.h"
#include "vg_mem.h"
#include "vg_softmax.h"
#include "vg_snapshot.h"

static uint64_t rng = 5;

static double unif(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

START_TEST(test_hash_vectors)
{
        ck_assert_uint_eq(vg_crc32(0, "123456789", 9), 0xCBF43926u);
        ck_assert_uint_eq(vg_crc32(vg_crc32(0, "1234", 4), "56789", 5),
                          0xCBF43926u);
        ck_assert(vg_hash64("", 0, 0) == 0xEF46DB3751D8E999ULL);
        ck_assert(vg_hash64("abc", 3, 0) == 0x44BC2CF5AD770999ULL);
        /* Long input (>= 32 bytes path) differs with seed and content. */
        ck_assert(vg_hash64_str("assignment_group=DBA Oracle (Paris)", 0) !=
                  vg_hash64_str("assignment_group=DBA Oracle (Pariz)", 0));
        ck_assert(vg_hash64_str("x", 0) != vg_hash64_str("x", 1));
}
END_TEST

START_TEST(test_snap_primitives)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_TEST);
        double v[3] = {-0.0, 1e-310, NAN}, r[3];
        vg_snap_reader_t *sr;
        char err[256], *s;
        size_t len;
        void *buf;

        vg_snap_put_u32(sw, 0xdeadbeef);
        vg_snap_put_i64(sw, -42);
        vg_snap_put_f64v(sw, v, 3);
        vg_snap_put_str(sw, "Équipe DBA");
        vg_snap_put_str(sw, NULL);
        buf = vg_snap_writer_finish(sw, &len);
        ck_assert_int_eq(memcmp(buf, "VGSN", 4), 0);

        sr = vg_snap_reader_new(buf, len, VG_SNAP_KIND_TEST, err, sizeof(err));
        ck_assert_msg(sr != NULL, "%s", err);
        ck_assert_uint_eq(vg_snap_get_u32(sr), 0xdeadbeef);
        ck_assert_int_eq(vg_snap_get_i64(sr), -42);
        ck_assert(vg_snap_get_f64v(sr, r, 3));
        ck_assert_int_eq(memcmp(v, r, sizeof(v)), 0); /* bits, incl. NaN */
        s = vg_snap_get_str(sr);
        ck_assert_str_eq(s, "Équipe DBA");
        vg_free(s);
        ck_assert_ptr_null(vg_snap_get_str(sr));
        ck_assert_int_eq(vg_snap_reader_destroy(sr, err, sizeof(err)), VG_OK);

        /* Reading past the end fails, stickily, with a message. */
        sr = vg_snap_reader_new(buf, len, VG_SNAP_KIND_TEST, err, sizeof(err));
        vg_snap_get_u32(sr);
        vg_snap_get_u64(sr);
        vg_snap_get_f64v(sr, r, 3);
        vg_snap_get_u64(sr);
        vg_snap_get_u64(sr);
        vg_snap_get_u64(sr);
        ck_assert(!vg_snap_ok(sr));
        ck_assert_int_eq(vg_snap_reader_destroy(sr, err, sizeof(err)),
                         VG_ERR_CORRUPT);
        ck_assert_ptr_nonnull(strstr(err, "ends early"));

        /* Unread bytes are an error too. */
        sr = vg_snap_reader_new(buf, len, VG_SNAP_KIND_TEST, err, sizeof(err));
        vg_snap_get_u32(sr);
        ck_assert_int_eq(vg_snap_reader_destroy(sr, err, sizeof(err)),
                         VG_ERR_CORRUPT);
        ck_assert_ptr_nonnull(strstr(err, "unread"));

        /* Another kind is refused. */
        ck_assert_ptr_null(vg_snap_reader_new(buf, len, VG_SNAP_KIND_FTRL, err,
                                              sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "kind"));
        vg_free(buf);
}
END_TEST

/* Flips bytes at several offsets and truncates at several lengths:
 * the loader must refuse every variant with a message. */
typedef void *(*load_fn)(const void *, size_t, char *, size_t);

static void check_refusals(const void *good, size_t len, load_fn load)
{
        unsigned char *bad = vg_malloc(len);
        size_t offs[] = {0, 3, 5, 7, 9, 17, 21, 24, 25, 40, len / 2, len - 1};
        char err[256];

        for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
                memcpy(bad, good, len);
                bad[offs[i]] ^= 0x01;
                err[0] = '\0';
                ck_assert_msg(load(bad, len, err, sizeof(err)) == NULL,
                              "flipped byte %zu accepted", offs[i]);
                ck_assert_msg(err[0] != '\0', "no error for byte %zu",
                              offs[i]);
        }
        for (size_t l = 0; l < len; l += (l < 64 ? 1 : len / 7 + 1)) {
                err[0] = '\0';
                ck_assert_msg(load(good, l, err, sizeof(err)) == NULL,
                              "truncated to %zu accepted", l);
                ck_assert(err[0] != '\0');
        }
        ck_assert_ptr_null(load(good, len - 1, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "truncated"));
        memcpy(bad, good, len);
        bad[len - 1] ^= 0x80;
        ck_assert_ptr_null(load(bad, len, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "checksum"));
        vg_free(bad);
}

static void *ftrl_load_(const void *b, size_t l, char *e, size_t s)
{
        return vg_ftrl_load(b, l, e, s);
}

static void ftrl_event(vg_features_t *x, int *y)
{
        char name[32];

        vg_features_clear(x);
        for (int j = 0; j < 8; j++) {
                snprintf(name, sizeof(name), "f%d=%d", j, (int)(unif() * 30));
                vg_features_add(x, name, 1.0);
        }
        vg_features_set_dense(x, 0, unif());
        vg_features_set_dense(x, 1, unif() * 3);
        *y = unif() < 0.3;
}

START_TEST(test_snap_ftrl_bit_exact)
{
        vg_ftrl_conf_t c;
        vg_ftrl_t *a, *b;
        vg_features_t *x = vg_features_new(16, 2);
        size_t la, lb;
        void *ba, *bb;
        char err[256], fa[512], fb[512];
        int y;

        vg_ftrl_conf_init(&c);
        c.hash_bits = 16;
        c.n_dense   = 2;
        a           = vg_ftrl_new(&c, err, sizeof(err));
        vg_ftrl_set_dense_name(a, 1, "age_hours");
        for (int i = 0; i < 3000; i++) {
                ftrl_event(x, &y);
                vg_ftrl_learn(a, x, y);
        }
        ba = vg_ftrl_save(a, &la);
        b  = vg_ftrl_load(ba, la, err, sizeof(err));
        ck_assert_msg(b != NULL, "%s", err);
        /* Resume: same events to both, identical bits at every step. */
        for (int i = 0; i < 2000; i++) {
                double pa, pb;
                ftrl_event(x, &y);
                pa = vg_ftrl_predict(a, x);
                pb = vg_ftrl_predict(b, x);
                ck_assert(memcmp(&pa, &pb, sizeof(pa)) == 0);
                vg_ftrl_learn(a, x, y);
                vg_ftrl_learn(b, x, y);
        }
        vg_preq_format(vg_ftrl_preq(a), fa, sizeof(fa));
        vg_preq_format(vg_ftrl_preq(b), fb, sizeof(fb));
        ck_assert_str_eq(fa, fb);
        vg_free(ba);
        ba = vg_ftrl_save(a, &la);
        bb = vg_ftrl_save(b, &lb);
        ck_assert_uint_eq(la, lb);
        ck_assert_int_eq(memcmp(ba, bb, la), 0);
        check_refusals(ba, la, ftrl_load_);
        vg_free(ba);
        vg_free(bb);
        vg_ftrl_destroy(a);
        vg_ftrl_destroy(b);
        vg_features_destroy(x);
}
END_TEST

static void *softmax_load_(const void *b, size_t l, char *e, size_t s)
{
        return vg_softmax_load(b, l, e, s);
}

START_TEST(test_snap_softmax_bit_exact)
{
        vg_softmax_conf_t c;
        vg_softmax_t *a, *b = NULL;
        vg_features_t *x = vg_features_new(16, 0);
        vg_class_prob_t ta[5], tb[5];
        size_t la, lb;
        void *ba, *bb;
        char err[256], label[16], name[32];

        vg_softmax_conf_init(&c);
        c.hash_bits = 16;
        a           = vg_softmax_new(&c, err, sizeof(err));
        for (int i = 0; i < 5000; i++) {
                int k = (int)(unif() * 12);
                vg_features_clear(x);
                snprintf(name, sizeof(name), "w=%d", k * 3 + (int)(unif() * 3));
                vg_features_add(x, name, 1.0);
                snprintf(label, sizeof(label), "c%d", k);
                if (i == 2500) {
                        ba = vg_softmax_save(a, &la);
                        b  = vg_softmax_load(ba, la, err, sizeof(err));
                        ck_assert_msg(b != NULL, "%s", err);
                        vg_free(ba);
                }
                if (i >= 2500) {
                        int na = vg_softmax_predict(a, x, ta, 5);
                        int nb = vg_softmax_predict(b, x, tb, 5);
                        ck_assert_int_eq(na, nb);
                        for (int j = 0; j < na; j++) {
                                ck_assert_int_eq(ta[j].cls, tb[j].cls);
                                ck_assert(memcmp(&ta[j].p, &tb[j].p,
                                                 sizeof(double)) == 0);
                        }
                        vg_softmax_learn(b, x, label);
                }
                vg_softmax_learn(a, x, label);
        }
        ba = vg_softmax_save(a, &la);
        bb = vg_softmax_save(b, &lb);
        ck_assert_uint_eq(la, lb);
        ck_assert_int_eq(memcmp(ba, bb, la), 0);
        check_refusals(ba, la, softmax_load_);
        vg_free(ba);
        vg_free(bb);
        vg_softmax_destroy(a);
        vg_softmax_destroy(b);
        vg_features_destroy(x);
}
END_TEST

static void *kmeans_load_(const void *b, size_t l, char *e, size_t s)
{
        return vg_kmeans_load(b, l, e, s);
}

START_TEST(test_snap_kmeans_bit_exact)
{
        vg_kmeans_conf_t c;
        vg_kmeans_t *a, *b;
        double X[32 * 8];
        int64_t ia[32], ib[32];
        vg_similar_t sa[3], sb[3];
        size_t la, lb;
        void *ba, *bb;
        char err[256], id[32];

        vg_kmeans_conf_init(&c);
        c.dim           = 8;
        c.radius        = 3.0;
        c.half_life     = 20;
        c.reservoir_cap = 4;
        a               = vg_kmeans_new(&c, err, sizeof(err));
        for (int i = 0; i < 300; i++) {
                double x[8];
                for (int d = 0; d < 8; d++)
                        x[d] = (i % 5) * 10.0 * (d == i % 5) + unif();
                snprintf(id, sizeof(id), "INC%d", i);
                vg_kmeans_observe(a, id, x, i % 2 ? "ok" : NULL, i, NULL);
        }
        ba = vg_kmeans_save(a, &la);
        b  = vg_kmeans_load(ba, la, err, sizeof(err));
        ck_assert_msg(b != NULL, "%s", err);
        vg_free(ba);
        ck_assert_int_eq(vg_kmeans_k(a), vg_kmeans_k(b));
        for (int r = 0; r < 10; r++) {
                for (int i = 0; i < 32 * 8; i++)
                        X[i] = ((i / 8) % 6) * 10.0 * ((i % 8) == (i / 8) % 6) +
                               unif();
                vg_kmeans_update_batch(a, X, 32, ia, NULL);
                vg_kmeans_update_batch(b, X, 32, ib, NULL);
                ck_assert_int_eq(memcmp(ia, ib, sizeof(ia)), 0);
        }
        ck_assert_int_eq(vg_kmeans_similar(a, X, 3, sa, NULL),
                         vg_kmeans_similar(b, X, 3, sb, NULL));
        ck_assert_str_eq(sa[0].id, sb[0].id);
        ba = vg_kmeans_save(a, &la);
        bb = vg_kmeans_save(b, &lb);
        ck_assert_uint_eq(la, lb);
        ck_assert_int_eq(memcmp(ba, bb, la), 0);
        check_refusals(ba, la, kmeans_load_);
        vg_free(ba);
        vg_free(bb);
        vg_kmeans_destroy(a);
        vg_kmeans_destroy(b);
}
END_TEST

START_TEST(test_snap_file_atomic)
{
        char dir[] = "/tmp/vg_snap_XXXXXX", path[256], err[256];
        vg_ftrl_conf_t c;
        vg_ftrl_t *a, *b;
        vg_features_t *x = vg_features_new(12, 0);
        void *buf, *rd;
        size_t len, rlen;
        int y;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/ftrl.snap", dir);
        vg_ftrl_conf_init(&c);
        c.hash_bits = 12;
        a           = vg_ftrl_new(&c, err, sizeof(err));
        for (int i = 0; i < 100; i++) {
                vg_features_clear(x);
                y = i % 2;
                vg_features_add(x, y ? "p" : "n", 1.0);
                vg_ftrl_learn(a, x, y);
        }
        buf = vg_ftrl_save(a, &len);
        ck_assert_int_eq(vg_snapshot_write_file(path, buf, len, err,
                                                sizeof(err)),
                         VG_OK);
        /* Overwrite in place: still atomic, no temporary left behind. */
        ck_assert_int_eq(vg_snapshot_write_file(path, buf, len, err,
                                                sizeof(err)),
                         VG_OK);
        ck_assert_int_eq(vg_snapshot_read_file(path, &rd, &rlen, err,
                                               sizeof(err)),
                         VG_OK);
        ck_assert_uint_eq(rlen, len);
        ck_assert_int_eq(memcmp(rd, buf, len), 0);
        b = vg_ftrl_load(rd, rlen, err, sizeof(err));
        ck_assert_msg(b != NULL, "%s", err);
        ck_assert(vg_ftrl_predict(a, x) == vg_ftrl_predict(b, x));
        snprintf(path, sizeof(path), "%s/ftrl.snap.tmp.%ld", dir,
                 (long)getpid());
        ck_assert_int_ne(access(path, F_OK), 0);
        ck_assert_int_eq(vg_snapshot_read_file("/nonexistent/x", &rd, &rlen,
                                               err, sizeof(err)),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_snapshot_write_file("/nonexistent/x", buf, len,
                                                err, sizeof(err)),
                         VG_ERR_IO);
        snprintf(path, sizeof(path), "%s/ftrl.snap", dir);
        unlink(path);
        rmdir(dir);
        vg_free(buf);
        vg_free(rd);
        vg_ftrl_destroy(a);
        vg_ftrl_destroy(b);
        vg_features_destroy(x);
}
END_TEST

static Suite *snapshot_suite(void)
{
        Suite *s  = suite_create("snapshot");
        TCase *tc = tcase_create("Core");

        tcase_add_test(tc, test_hash_vectors);
        tcase_add_test(tc, test_snap_primitives);
        tcase_add_test(tc, test_snap_ftrl_bit_exact);
        tcase_add_test(tc, test_snap_softmax_bit_exact);
        tcase_add_test(tc, test_snap_kmeans_bit_exact);
        tcase_add_test(tc, test_snap_file_atomic);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(snapshot_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
