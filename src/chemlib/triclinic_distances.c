/*
 * Distances from one point to a run of points under a triclinic cell's
 * minimum image: the loop of distance_array and self_distance_array with a
 * triclinic box (point_distances in minimum_image.f90). Per pair it folds the
 * displacement into the brick and tries every useful lattice shift, padded
 * to SHIFT_SLOTS: some 150 multiplies, adds and minima, so the vector width
 * sets the pace. The body below is compiled three times and the CPU picks at
 * run time, as NumPy dispatches its own loops:
 *   - the x86-64 baseline: SSE2, two lanes, no fused multiply-add;
 *   - AVX2 with FMA (x86-64-v3): four lanes;
 *   - AVX-512 (the x86-64-v4 set): eight lanes, and 32 registers that hold
 *     the 42 shift components the 16 of AVX2 must reload.
 * One thread, 25 million pairs, a Sapphire Rapids Xeon: 225, 89 and 62 ms.
 *
 * This is how chemlib uses AVX-512 where it pays, rather than a level-4
 * package: conda-forge's CI cannot promise level-4 machines to build and
 * test one (recipe/variants.yaml), and here the baseline package (pip's
 * wheel, conda's level 1) gets the wide loops too. The no-box loop
 * (point_distances.c) has an AVX-512 path of another kind; rmsd_trajectory's
 * frame pass (frame_sums.c) stops at AVX2, where AVX-512 measured slower.
 *
 * The wide paths fuse multiply-adds (this file is built without
 * -ffp-contract=off, meson.build), so they round differently from the
 * baseline path, by less than an ulp per operation: each path is held to
 * the distance bound against exact references
 * (tests/kernels/test_precision.py).
 */
#include <math.h>
#include <stdint.h>

#include "periodic_cell.h"
#include "simd_dispatch.h"

/* = SHIFT_SLOTS of minimum_image.f90 (tests/build/test_vectorisation.py
 * reads both): a fixed count, so that every path unrolls the shifts. */
#define SHIFT_SLOTS 14

/*
 * h: the box vectors as columns, hinv its inverse, both 3x3 in Fortran
 * order; slots: the useful shifts (3, SHIFT_SLOTS), Fortran order. As
 * minimum_image.f90's to_brick: whole box vectors c, then b, then a off the
 * displacement by rounding (h lower-triangular in rows), then the shortest
 * of the brick image and its shifts.
 */
static inline CHEMLIB_ALWAYS_INLINE void
distances_from(const double *restrict point, const double *restrict x, const double *restrict y,
               const double *restrict z, int64_t m, const double *restrict h,
               const double *restrict hinv, const double *restrict slots,
               double *restrict distances)
{
    const double px = point[0], py = point[1], pz = point[2];
    const double ax = h[0], bx = h[3], by = h[4], cx = h[6], cy = h[7], cz = h[8];
    const double inv_ax = hinv[0], inv_by = hinv[4], inv_cz = hinv[8];
    double sx[SHIFT_SLOTS], sy[SHIFT_SLOTS], sz[SHIFT_SLOTS];
    for (int k = 0; k < SHIFT_SLOTS; ++k) {
        sx[k] = slots[3 * k];
        sy[k] = slots[3 * k + 1];
        sz[k] = slots[3 * k + 2];
    }
    for (int64_t j = 0; j < m; ++j) {
        double dx = x[j] - px, dy = y[j] - py, dz = z[j] - pz;
        double r = chemlib_round_small(dz * inv_cz);
        dx -= r * cx;
        dy -= r * cy;
        dz -= r * cz;
        r = chemlib_round_small(dy * inv_by);
        dx -= r * bx;
        dy -= r * by;
        r = chemlib_round_small(dx * inv_ax);
        dx -= r * ax;
        double best = dx * dx + dy * dy + dz * dz;
        /* Unrolled at -O2 too: conda-forge's CFLAGS (-O2 -ftree-vectorize)
         * come after meson's -O3 and win, and rolled, the shifts are
         * reloaded on every pass (tests/build/test_vectorisation.py). */
#pragma GCC unroll 14
        for (int k = 0; k < SHIFT_SLOTS; ++k) {
            const double tx = dx + sx[k], ty = dy + sy[k], tz = dz + sz[k];
            const double trial = tx * tx + ty * ty + tz * tz;
            best = trial < best ? trial : best;
        }
        distances[j] = sqrt(best);
    }
}

#define TRICLINIC_DISTANCES(NAME, ATTRIBUTES)                                                      \
    ATTRIBUTES static void NAME(const double *point, const double *x, const double *y,              \
                                const double *z, int64_t m, const double *h, const double *hinv,    \
                                const double *slots, double *distances)                             \
    {                                                                                               \
        distances_from(point, x, y, z, m, h, hinv, slots, distances);                               \
    }

TRICLINIC_DISTANCES(triclinic_distances_baseline, )
#if CHEMLIB_DISPATCH_X86
TRICLINIC_DISTANCES(triclinic_distances_avx2, CHEMLIB_TARGET_X86_64_V3)
TRICLINIC_DISTANCES(triclinic_distances_avx512, CHEMLIB_TARGET_X86_64_V4)
#endif

/* Called from Fortran (bind(C) in minimum_image.f90), once per row. */
void
chemlib_triclinic_point_distances(const double *point, const double *x, const double *y,
                                  const double *z, int64_t m, const double *h, const double *hinv,
                                  const double *slots, double *distances, int simd_level)
{
    CHEMLIB_CALL_PATH(simd_level, triclinic_distances,
                      (point, x, y, z, m, h, hinv, slots, distances));
}
