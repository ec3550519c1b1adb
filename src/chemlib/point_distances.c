/*
 * Distances from one point to a run of points held as columns: the loop of
 * distance_array and self_distance_array without a box (point_distances in
 * minimum_image.f90), where the square root bounds the speed: a few
 * subtractions and products per pair, then one root, and the square-root
 * unit takes as long per root at any vector width. Three paths, chosen by
 * the CPU at run time as NumPy dispatches its own loops, so the baseline
 * package (pip's wheel, conda's microarch level 1) runs the wide ones
 * wherever the CPU has them:
 *   - the x86-64 baseline: SSE2, two roots at a time;
 *   - AVX2 (x86-64-v3): four;
 *   - AVX-512 (the x86-64-v4 set): the square-root unit takes the roots of
 *     half the vectors, and the multiply-add units, idle otherwise, take
 *     the other half as a correctly rounded root of their own
 *     (correctly_rounded_root). One thread, 12.5 million pairs, a Sapphire
 *     Rapids Xeon: 9.3 ms on the AVX2 path, 5.9 ms on this one.
 *
 * Every path computes the squared distance with the same operations in the
 * same order, unfused (this file is built with -ffp-contract=off,
 * meson.build), and takes its correctly rounded root, so the distances are
 * bitwise identical whichever path ran (tests/kernels/test_simd_dispatch.py).
 */
#include <math.h>
#include <stdint.h>

#include "simd_dispatch.h"

static inline CHEMLIB_ALWAYS_INLINE void
distances_from(const double *restrict point, const double *restrict x, const double *restrict y,
               const double *restrict z, int64_t m, double *restrict distances)
{
    const double px = point[0], py = point[1], pz = point[2];
    for (int64_t j = 0; j < m; ++j) {
        const double dx = x[j] - px, dy = y[j] - py, dz = z[j] - pz;
        distances[j] = sqrt(dx * dx + dy * dy + dz * dz);
    }
}

static void
distances_baseline(const double *restrict point, const double *restrict x,
                   const double *restrict y, const double *restrict z, int64_t m,
                   double *restrict distances)
{
    distances_from(point, x, y, z, m, distances);
}

#if CHEMLIB_DISPATCH_X86
CHEMLIB_TARGET_X86_64_V3 static void
distances_avx2(const double *restrict point, const double *restrict x, const double *restrict y,
               const double *restrict z, int64_t m, double *restrict distances)
{
    distances_from(point, x, y, z, m, distances);
}

#include <immintrin.h>

/* Eight squared distances, as distances_from forms them. */
CHEMLIB_TARGET_X86_64_V4 static inline CHEMLIB_ALWAYS_INLINE __m512d
squared_distances(__m512d px, __m512d py, __m512d pz, const double *x, const double *y,
                  const double *z)
{
    const __m512d dx = _mm512_sub_pd(_mm512_loadu_pd(x), px);
    const __m512d dy = _mm512_sub_pd(_mm512_loadu_pd(y), py);
    const __m512d dz = _mm512_sub_pd(_mm512_loadu_pd(z), pz);
    return _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(dx, dx), _mm512_mul_pd(dy, dy)),
                         _mm512_mul_pd(dz, dz));
}

/* Where correctly_rounded_root's argument holds: no product or residual
 * below it overflows or comes near the subnormals (the residual x - g*g
 * is a multiple of ulp(g)**2, about x * 2**-106). */
static const double ROOT_LOWEST = 0x1p-900, ROOT_HIGHEST = 0x1p1000;

/*
 * The double nearest sqrt(x), given g, one of the two doubles around it
 * (faithful). With u the neighbour above g (its bits plus one) and d the one
 * below, sqrt(x) rounds to u when x > ((g + u)/2)**2. x - g*g and g*(u - g)
 * are multiples of ulp(g)**2, and a midpoint's square is not a double, so
 * that is x > g*u, whose sign one fused g*u - x gets exactly; likewise to d
 * when x <= g*d, the binade below a power of two included (d = g - ulp/2
 * there). For x in [ROOT_LOWEST, ROOT_HIGHEST]. Tested on its own with g one
 * ulp off (tests/build/nearest_root_check.c): the steps of
 * correctly_rounded_root leave g within half an ulp and a little more, so on
 * real input it seldom has anything to correct.
 */
CHEMLIB_TARGET_X86_64_V4 static inline CHEMLIB_ALWAYS_INLINE __m512d
nearest_root(__m512d g, __m512d x)
{
    const __m512i one = _mm512_set1_epi64(1);
    const __m512d above = _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(g), one));
    const __m512d below = _mm512_castsi512_pd(_mm512_sub_epi64(_mm512_castpd_si512(g), one));
    const __m512d zero = _mm512_setzero_pd();
    const __mmask8 round_up = _mm512_cmp_pd_mask(_mm512_fmsub_pd(g, above, x), zero, _CMP_LT_OQ);
    const __mmask8 round_down = _mm512_cmp_pd_mask(_mm512_fmsub_pd(g, below, x), zero, _CMP_GE_OQ);
    return _mm512_mask_mov_pd(_mm512_mask_mov_pd(g, round_up, above), round_down, below);
}

/*
 * sqrt(x), correctly rounded, on the multiply-add units, for x in
 * [ROOT_LOWEST, ROOT_HIGHEST]: g ~ sqrt(x), h ~ 1/(2 sqrt(x)) from
 * vrsqrt14pd (relative error below 2**-14), two Goldschmidt steps (error
 * squared each: about 2**-54 plus the roundings) and one Newton step
 * g += h (x - g*g), whose error is half an ulp plus far less than another,
 * so g is faithful; then nearest_root. Tested bitwise against the
 * square-root instruction through the kernels (test_simd_dispatch.py).
 */
CHEMLIB_TARGET_X86_64_V4 static inline CHEMLIB_ALWAYS_INLINE __m512d
correctly_rounded_root(__m512d x)
{
    const __m512d half = _mm512_set1_pd(0.5);
    const __m512d estimate = _mm512_rsqrt14_pd(x);
    __m512d g = _mm512_mul_pd(x, estimate), h = _mm512_mul_pd(half, estimate);
    for (int step = 0; step < 2; ++step) {
        const __m512d r = _mm512_fnmadd_pd(g, h, half);
        g = _mm512_fmadd_pd(g, r, g);
        h = _mm512_fmadd_pd(h, r, h);
    }
    return nearest_root(_mm512_fmadd_pd(_mm512_fnmadd_pd(g, g, x), h, g), x);
}

/* The roots of the second half of each step: on the multiply-add units,
 * or by the instruction where a lane is outside correctly_rounded_root's
 * range (zero for coincident points, tiny, huge or infinite squares). */
CHEMLIB_TARGET_X86_64_V4 static inline CHEMLIB_ALWAYS_INLINE __m512d
second_half_roots(__m512d x)
{
    const __mmask8 in_range =
        _mm512_cmp_pd_mask(x, _mm512_set1_pd(ROOT_LOWEST), _CMP_GE_OQ) &
        _mm512_cmp_pd_mask(x, _mm512_set1_pd(ROOT_HIGHEST), _CMP_LE_OQ);
    if (__builtin_expect(in_range != 0xff, 0)) {
        return _mm512_sqrt_pd(x);
    }
    return correctly_rounded_root(x);
}

/* Sixteen pairs a step: eight roots on the square-root unit, eight on the
 * multiply-add units, both kept busy. Half and half measured fastest on the
 * Xeon, against a third, three fifths and none on the square-root unit. */
CHEMLIB_TARGET_X86_64_V4 static void
distances_avx512(const double *restrict point, const double *restrict x,
                 const double *restrict y, const double *restrict z, int64_t m,
                 double *restrict distances)
{
    const __m512d px = _mm512_set1_pd(point[0]), py = _mm512_set1_pd(point[1]),
                  pz = _mm512_set1_pd(point[2]);
    int64_t j = 0;
    for (; j + 16 <= m; j += 16) {
        const __m512d first = squared_distances(px, py, pz, x + j, y + j, z + j);
        const __m512d second = squared_distances(px, py, pz, x + j + 8, y + j + 8, z + j + 8);
        _mm512_storeu_pd(distances + j, _mm512_sqrt_pd(first));
        _mm512_storeu_pd(distances + j + 8, second_half_roots(second));
    }
    distances_from(point, x + j, y + j, z + j, m - j, distances + j);
}
#endif

/* Called from Fortran (bind(C) in minimum_image.f90), once per row. */
void
chemlib_point_distances(const double *point, const double *x, const double *y, const double *z,
                        int64_t m, double *distances, int simd_level)
{
    CHEMLIB_CALL_PATH(simd_level, distances, (point, x, y, z, m, distances));
}
