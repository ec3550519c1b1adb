/*
 * Distances from one point to a run of points held as columns: the loop of
 * distance_array and self_distance_array without a box (point_distances in
 * minimum_image.f90), where the square root bounds the speed. SSE2, all the
 * x86-64 baseline promises, takes square roots two at a time; AVX2 CPUs
 * (x86-64-v3) take four. So the one body below is compiled twice, for the
 * baseline and for AVX2, and the CPU picks at run time, as NumPy dispatches
 * its own loops: the baseline package (pip's wheel, conda's microarch level 1)
 * runs the wide loop wherever the CPU has it.
 *
 * Both paths run the same operations in the same order: this file is built
 * with -ffp-contract=off (meson.build), so neither fuses a multiply-add, and
 * every operation is correctly rounded. Their results are bitwise identical
 * (tests/kernels/test_simd_dispatch.py); FMA would buy nothing here, where
 * the square root, not the three products, sets the pace.
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
#endif

/* Called from Fortran (bind(C) in minimum_image.f90), once per row. */
void
chemlib_point_distances(const double *point, const double *x, const double *y, const double *z,
                        int64_t m, double *distances, int simd_level)
{
#if CHEMLIB_DISPATCH_X86
    /* AVX2 at level 4 too: the square-root unit sets the pace, at the same
     * rate per root whatever the width (README, the no-box rows). */
    if (chemlib_simd_path(simd_level) >= CHEMLIB_SIMD_X86_64_V3) {
        distances_avx2(point, x, y, z, m, distances);
        return;
    }
#else
    (void)simd_level;
#endif
    distances_baseline(point, x, y, z, m, distances);
}
