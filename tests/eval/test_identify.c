/* test_identify.c: the 1:N identification scores (rank-1, rank-5, open-set false accepts) on hand-checked and brute-forced sets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facekit/eval.h"
#include "harness.h"

/* The hand-checked set: 2-D descriptors, person p enrolled at (10p, 0). */
typedef struct pt {
    size_t person, order;
    int has;
    float x, y;
} pt;

static const pt g_set[] = {
    {0, 0, 1, 0, 0},    {0, 1, 1, 0.5f, 0},  /* near its own: rank 1, accepted (0.5 < 1) */
    {0, 2, 1, 60.2f, 0},                     /* 6 other people nearer: a miss at rank 5 */
    {1, 0, 1, 10, 0},   {1, 1, 1, 10, 0.5f}, /* rank 1 */
    {1, 2, 1, 16, 0},                        /* person 2 is nearer: rank 2 */
    {2, 0, 1, 20, 0},   {2, 1, 0, 0, 0},     /* no descriptor: a miss */
    {2, 2, 1, 20, 2},                        /* rank 1, but at 2, above the threshold */
    {3, 0, 0, 0, 0},                         /* no descriptor: enrolled with order 1, and a probe */
    {3, 1, 1, 30, 0},   {3, 2, 1, 30.3f, 0},
    {4, 0, 0, 0, 0},    {4, 1, 0, 0, 0},     /* never enrolled */
    {5, 0, 1, 50, 0},   {5, 1, 1, 50, 0.2f},
    {5, 2, 1, 59.5f, 0},                     /* person 6 nearer: rank 2; open set: accepted as 6 */
    {6, 0, 1, 60, 0},   {6, 1, 1, 60, 0.1f},
    {7, 0, 1, 70, 0},                        /* one image: not used, not enrolled */
};
#define SET_N (sizeof g_set / sizeof g_set[0])

static void fill(fk_identify_image *im, float (*v)[2], int reversed)
{
    for (size_t k = 0; k < SET_N; k++) {
        /* the array's order must not matter: only person and order do */
        size_t i = reversed ? SET_N - 1 - k : k;
        v[i][0] = g_set[k].x;
        v[i][1] = g_set[k].y;
        im[i] = (fk_identify_image){g_set[k].person, g_set[k].order, g_set[k].has ? v[i] : NULL};
    }
}

static void test_hand_checked(int reversed)
{
    fk_identify_image im[SET_N];
    float v[SET_N][2];
    int roles[SET_N];
    fill(im, v, reversed);
    fk_identify_report r;
    fk_error err = {0};
    CHECK_OK(fk_identify_evaluate(im, SET_N, 2, 1.0, &r, roles, &err));
    CHECK(r.people == 7 && r.images == 19);
    CHECK(r.gallery == 6 && r.enrolled_later == 1 && r.not_enrolled == 1);
    CHECK(r.probes == 12 && r.probes_without_descriptor == 3);
    CHECK(r.rank1_hits == 6 && r.rank5_hits == 8);
    CHECK_NEAR(r.rank1, 6.0 / 12, 1e-12);
    CHECK_NEAR(r.rank5, 8.0 / 12, 1e-12);
    /* open set: people 1, 3, 5 left out; 0, 2, 6 enrolled (4 has no descriptor) */
    CHECK(r.known_people == 4 && r.unknown_people == 3 && r.open_gallery == 3);
    CHECK(r.known_probes == 6 && r.known_probes_without_descriptor == 2);
    CHECK(r.unknown_probes == 6 && r.unknown_probes_without_descriptor == 1);
    CHECK(r.false_accepts == 1);
    CHECK_NEAR(r.far, 1.0 / 5, 1e-12);
    CHECK(r.known_rank1_hits == 3 && r.known_accepted_hits == 2);
    CHECK_NEAR(r.known_rank1, 3.0 / 6, 1e-12);
    CHECK_NEAR(r.known_rank1_at_threshold, 2.0 / 6, 1e-12);
    CHECK_NEAR(r.threshold, 1.0, 0);
    for (size_t k = 0; k < SET_N; k++) {
        size_t i = reversed ? SET_N - 1 - k : k;
        const pt *p = &g_set[k];
        int want = p->person == 7 ? FK_IDENTIFY_UNUSED
                   : (p->person == 3 ? p->order == 1 : p->order == 0) ? FK_IDENTIFY_GALLERY
                                                                     : FK_IDENTIFY_PROBE;
        CHECK_MSG(roles[i] == want, "person %zu order %zu: role %d, want %d", p->person, p->order, roles[i], want);
    }

    /* a threshold below every distance accepts nothing; above every distance accepts every nearest */
    CHECK_OK(fk_identify_evaluate(im, SET_N, 2, 0.01, &r, NULL, &err));
    CHECK(r.false_accepts == 0 && r.known_accepted_hits == 0 && r.known_rank1_hits == 3);
    CHECK(r.rank1_hits == 6); /* the closed set does not use the threshold */
    CHECK_OK(fk_identify_evaluate(im, SET_N, 2, 1000, &r, NULL, &err));
    CHECK(r.false_accepts == 5 && r.known_accepted_hits == 3);
    CHECK_NEAR(r.far, 1.0, 1e-12);
}

static void test_edge_cases(void)
{
    fk_identify_report r;
    fk_error err = {0};
    float a[2] = {0, 0}, b[2] = {1, 0}, nan2[2] = {0, NAN};

    /* nobody with two images: a clear error, not a report of zeros */
    fk_identify_image single[2] = {{0, 0, a}, {1, 0, b}};
    CHECK(fk_identify_evaluate(single, 2, 2, 0.6, &r, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "two images") != NULL, "message: %s", err.message);
    CHECK(fk_identify_evaluate(NULL, 0, 2, 0.6, &r, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "two images") != NULL);

    /* bad arguments */
    fk_identify_image two[2] = {{0, 0, a}, {0, 1, b}};
    CHECK(fk_identify_evaluate(two, 2, 0, 0.6, &r, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_identify_evaluate(two, 2, 4097, 0.6, &r, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_identify_evaluate(two, 2, 2, 0, &r, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_identify_evaluate(two, 2, 2, NAN, &r, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK(fk_identify_evaluate(two, 2, 2, 0.6, NULL, NULL, &err) == FK_E_INVALID_ARGUMENT);
    fk_identify_image dup[2] = {{0, 3, a}, {0, 3, b}};
    CHECK(fk_identify_evaluate(dup, 2, 2, 0.6, &r, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "same order") != NULL, "message: %s", err.message);
    fk_identify_image bad[2] = {{0, 0, a}, {0, 1, nan2}};
    CHECK(fk_identify_evaluate(bad, 2, 2, 0.6, &r, NULL, &err) == FK_E_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "non-finite") != NULL, "message: %s", err.message);

    /* one person: everyone is known, the FAR has no probes (NaN, not 0) */
    CHECK_OK(fk_identify_evaluate(two, 2, 2, 0.6, &r, NULL, &err));
    CHECK(r.people == 1 && r.gallery == 1 && r.probes == 1 && r.rank1_hits == 1 && r.rank5_hits == 1);
    CHECK(r.known_people == 1 && r.unknown_people == 0 && r.unknown_probes == 0 && isnan(r.far));
    CHECK(r.known_rank1_hits == 1 && r.known_accepted_hits == 0); /* distance 1 is not below 0.6 */

    /* no descriptor anywhere: nobody enrolled, every probe a miss, nothing to search */
    fk_identify_image none[4] = {{0, 0, NULL}, {0, 1, NULL}, {1, 0, NULL}, {1, 1, NULL}};
    CHECK_OK(fk_identify_evaluate(none, 4, 2, 0.6, &r, NULL, &err));
    CHECK(r.people == 2 && r.gallery == 0 && r.not_enrolled == 2 && r.probes == 2 && r.probes_without_descriptor == 2);
    CHECK(r.rank1 == 0 && r.rank5 == 0 && r.open_gallery == 0 && isnan(r.far) && r.known_rank1 == 0);

    /* a person whose only descriptor is a later image: enrolled with it, the first is a miss */
    fk_identify_image later[4] = {{0, 0, NULL}, {0, 1, a}, {1, 0, b}, {1, 1, b}};
    CHECK_OK(fk_identify_evaluate(later, 4, 2, 0.6, &r, NULL, &err));
    CHECK(r.gallery == 2 && r.enrolled_later == 1 && r.probes == 2 && r.probes_without_descriptor == 1);
    CHECK(r.rank1_hits == 1);
}

/* Random sets against a brute-force count of each probe's rank. */
static unsigned g_seed = 12345;
static float frand(void)
{
    g_seed = g_seed * 1103515245u + 12345u;
    return (float)((g_seed >> 8) & 0xffff) / 65536.0f - 0.5f;
}

static double dist(const float *a, const float *b, int dim)
{
    double s = 0;
    for (int k = 0; k < dim; k++)
        s += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
    return sqrt(s);
}

static void test_brute_force(void)
{
    enum { PEOPLE = 60, PER = 4, DIM = 16, N = PEOPLE * PER };
    static float v[N][DIM], centre[PEOPLE][DIM];
    static fk_identify_image im[N];
    for (int p = 0; p < PEOPLE; p++)
        for (int k = 0; k < DIM; k++)
            centre[p][k] = frand();
    for (int i = 0; i < N; i++) {
        int p = i % PEOPLE; /* interleaved, to check the grouping */
        for (int k = 0; k < DIM; k++)
            v[i][k] = centre[p][k] + 0.8f * frand(); /* noisy enough for misses at rank 1 and 5 */
        im[i] = (fk_identify_image){(size_t)p, (size_t)(PER - 1 - i / PEOPLE), i % 11 == 3 ? NULL : v[i]};
    }
    const double thr = 1.4;
    fk_identify_report r;
    fk_error err = {0};
    CHECK_OK(fk_identify_evaluate(im, N, DIM, thr, &r, NULL, &err));

    /* the gallery face of person p: its lowest order with a descriptor */
    int enrolled[PEOPLE];
    for (int p = 0; p < PEOPLE; p++) {
        enrolled[p] = -1;
        for (int i = 0; i < N; i++)
            if (im[i].person == (size_t)p && im[i].descriptor &&
                (enrolled[p] < 0 || im[i].order < im[enrolled[p]].order))
                enrolled[p] = i;
    }
    size_t probes = 0, r1 = 0, r5 = 0, fa = 0, unknown_valid = 0, kr1 = 0, kacc = 0, kprobes = 0;
    for (int i = 0; i < N; i++) {
        int p = (int)im[i].person;
        int first = -1;
        for (int j = 0; j < N; j++)
            if (im[j].person == (size_t)p && (first < 0 || im[j].order < im[first].order))
                first = j;
        if (i == (enrolled[p] >= 0 ? enrolled[p] : first))
            continue;
        probes++;
        int known = p % 2 == 0;
        kprobes += known;
        if (!im[i].descriptor)
            continue;
        unknown_valid += !known;
        double own = enrolled[p] >= 0 ? dist(v[i], v[enrolled[p]], DIM) : INFINITY;
        size_t nearer = 0;
        double best_open = INFINITY;
        int best_open_p = -1;
        for (int q = 0; q < PEOPLE; q++) {
            if (enrolled[q] < 0)
                continue;
            double d = dist(v[i], v[enrolled[q]], DIM);
            nearer += q != p && d < own;
            if (q % 2 == 0 && d < best_open) {
                best_open = d;
                best_open_p = q;
            }
        }
        if (enrolled[p] >= 0) {
            r1 += nearer == 0;
            r5 += nearer < 5;
        }
        if (known) {
            kr1 += best_open_p == p;
            kacc += best_open_p == p && best_open < thr;
        } else {
            fa += best_open < thr;
        }
    }
    printf("random set: rank-1 %zu, rank-5 %zu of %zu probes; %zu false accepts of %zu\n", r1, r5, probes, fa,
           unknown_valid);
    CHECK(r.people == PEOPLE && r.probes == probes && probes == N - PEOPLE);
    CHECK_MSG(r.rank1_hits == r1 && r.rank5_hits == r5, "rank-1 %zu (want %zu), rank-5 %zu (want %zu)", r.rank1_hits,
              r1, r.rank5_hits, r5);
    CHECK_MSG(r1 < r5 && r5 < probes, "the set should have misses at both ranks: %zu %zu of %zu", r1, r5, probes);
    CHECK(r.known_probes == kprobes && r.unknown_probes - r.unknown_probes_without_descriptor == unknown_valid);
    CHECK_MSG(r.false_accepts == fa && fa > 0 && fa < unknown_valid, "false accepts %zu (want %zu of %zu)",
              r.false_accepts, fa, unknown_valid);
    CHECK(r.known_rank1_hits == kr1 && r.known_accepted_hits == kacc);
    CHECK_NEAR(r.far, (double)fa / (double)unknown_valid, 1e-12);
}

int main(void)
{
    test_hand_checked(0);
    test_hand_checked(1);
    test_edge_cases();
    test_brute_force();
    return fk_test_finish("identification scores");
}
