/*
 * nearest_root and correctly_rounded_root of src/chemlib/point_distances.c
 * against the square-root instruction (tests/build/test_vectorisation.py
 * compiles and runs this). nearest_root is given both doubles around sqrt(x),
 * so its correction runs in every case; on real input the steps before it
 * seldom leave anything to correct, so the kernels' tests cannot reach it.
 * Exit status 0: every root right; 1: a wrong root; 77: no AVX-512 here.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "point_distances.c"

static uint64_t state = 0x9e3779b97f4a7c15u;

static uint64_t
next_random(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static double
from_bits(uint64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static uint64_t
to_bits(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

/* A double in [2**lowest, 2**highest) with a random significand. */
static double
random_double(int lowest, int highest)
{
    const int exponent = lowest + (int)(next_random() % (uint64_t)(highest - lowest));
    return ldexp(1.0 + (double)(next_random() >> 11) * 0x1p-53, exponent);
}

enum { BATCH = 8, CASES = 1 << 20 };
static double squares[CASES];
static long wrong;

CHEMLIB_TARGET_X86_64_V4 static void
check(const double *x)
{
    double below[BATCH], above[BATCH], root[BATCH], got[3][BATCH];
    for (int i = 0; i < BATCH; ++i) {
        root[i] = sqrt(x[i]);
        /* The two doubles around sqrt(x): root and its neighbour on the far side. */
        const int root_is_above = fma(root[i], root[i], -x[i]) > 0;
        below[i] = root_is_above ? from_bits(to_bits(root[i]) - 1) : root[i];
        above[i] = root_is_above ? root[i] : from_bits(to_bits(root[i]) + 1);
    }
    const __m512d xs = _mm512_loadu_pd(x);
    _mm512_storeu_pd(got[0], nearest_root(_mm512_loadu_pd(below), xs));
    _mm512_storeu_pd(got[1], nearest_root(_mm512_loadu_pd(above), xs));
    _mm512_storeu_pd(got[2], correctly_rounded_root(xs));
    for (int k = 0; k < 3; ++k) {
        for (int i = 0; i < BATCH; ++i) {
            if (to_bits(got[k][i]) != to_bits(root[i]) && wrong++ < 5) {
                printf("x = %a: %a, not %a (check %d)\n", x[i], got[k][i], root[i], k);
            }
        }
    }
}

int
main(void)
{
    if (chemlib_best_simd_level() < CHEMLIB_SIMD_X86_64_V4) {
        puts("no AVX-512 on this CPU");
        return 77;
    }
    int n = 0;
    /* The edges of the range and of the binades, a few ulps either side. */
    for (int e = -900; e <= 1000 - 2 && n + 9 <= CASES; e += 1) {
        for (int k = -4; k <= 4; ++k) {
            const double x = from_bits(to_bits(ldexp(1.0, e)) + (uint64_t)(int64_t)k);
            squares[n++] = x >= ROOT_LOWEST && x <= ROOT_HIGHEST ? x : 1.0;
        }
    }
    /* x = g*d exactly, the one case where round_down's >= matters: g just above a
     * power of two (d = g - ulp) and g a power of two (d = g - ulp/2). */
    for (int e = -440; e < 490 && n + 2 <= CASES; e += 3) {
        const double power = ldexp(1.0, e);
        const double g = from_bits(to_bits(power) + 1);
        squares[n++] = g * power;
        squares[n++] = power * from_bits(to_bits(power) - 1);
    }
    while (n < CASES) {
        /* Near the square of a midpoint between doubles: a * next(a) is
         * a**2 + a ulp(a), a quarter ulp(a)**2 below (a + ulp(a)/2)**2;
         * then its neighbours, and random doubles of the whole range. */
        const double a = random_double(-449, 499);
        const double near_midpoint = a * from_bits(to_bits(a) + 1);
        for (int k = -2; k <= 2 && n < CASES; ++k) {
            squares[n++] = from_bits(to_bits(near_midpoint) + (uint64_t)(int64_t)k);
        }
        if (n < CASES) {
            squares[n++] = random_double(-900, 1000);
        }
    }
    for (int i = 0; i + BATCH <= CASES; i += BATCH) {
        check(squares + i);
    }
    printf("%d squares, %ld wrong roots\n", CASES, wrong);
    return wrong != 0;
}
