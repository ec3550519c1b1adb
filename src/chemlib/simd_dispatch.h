/*
 * What the loops dispatched at run time share (point_distances.c,
 * frame_sums.c, triclinic_distances.c, periodic_wrap.c): the levels a
 * kernel's simd_level argument names, whether this compiler and CPU family
 * can dispatch at all, and the one CPU check (simd_dispatch.c).
 */
#ifndef CHEMLIB_SIMD_DISPATCH_H
#define CHEMLIB_SIMD_DISPATCH_H

/* Which loop to run: CHEMLIB_SIMD_AUTO asks the CPU; the others are for the
 * tests that compare the paths, and fall back to the widest path below them
 * on a CPU without the instructions. Same values as the simd_level
 * arguments of distances.f90, rmsd.f90 and periodic.f90. */
enum {
    CHEMLIB_SIMD_AUTO = 0,
    CHEMLIB_SIMD_BASELINE = 1,
    CHEMLIB_SIMD_X86_64_V3 = 3,
    CHEMLIB_SIMD_X86_64_V4 = 4
};

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define CHEMLIB_DISPATCH_X86 1
/* What a function of each level may use, and what chemlib_best_simd_level
 * checks: AVX2 and FMA (every x86-64-v3 CPU has both), and the AVX-512 subset
 * of x86-64-v4 with them. */
#define CHEMLIB_TARGET_X86_64_V3 __attribute__((target("avx2,fma")))
#define CHEMLIB_TARGET_X86_64_V4                                                                   \
    __attribute__((target("avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx2,fma")))
#else
#define CHEMLIB_DISPATCH_X86 0
#endif

/* For the one loop body each file compiles once per level, and for a helper
 * whose constant flag argument must fold away in each caller (frame_sums.c):
 * inlined whatever the compiler's own judgement. */
#if defined(__GNUC__)
#define CHEMLIB_ALWAYS_INLINE __attribute__((always_inline))
#elif defined(_MSC_VER)
#define CHEMLIB_ALWAYS_INLINE __forceinline
#else
#define CHEMLIB_ALWAYS_INLINE
#endif

/* The widest loops this CPU runs: CHEMLIB_SIMD_X86_64_V4 (the AVX-512 above),
 * CHEMLIB_SIMD_X86_64_V3 (AVX2 and FMA) or CHEMLIB_SIMD_BASELINE. */
int chemlib_best_simd_level(void);

/* The path a call asking for simd_level runs on this CPU: the level asked
 * for (the CPU's best for CHEMLIB_SIMD_AUTO), lowered to what the CPU has.
 * A file without a path of that level takes its widest one below it. */
int chemlib_simd_path(int simd_level);

/* The body of an entry point whose loop is compiled once per level as
 * NAME_baseline, NAME_avx2 and NAME_avx512: calls the one chemlib_simd_path
 * picks with ARGS, a parenthesised argument list (point_distances.c,
 * triclinic_distances.c, periodic_wrap.c). Without dispatch (other compilers
 * and CPU families) the baseline. */
#if CHEMLIB_DISPATCH_X86
#define CHEMLIB_CALL_PATH(simd_level, NAME, ARGS)                                                  \
    do {                                                                                           \
        switch (chemlib_simd_path(simd_level)) {                                                   \
        case CHEMLIB_SIMD_X86_64_V4:                                                               \
            NAME##_avx512 ARGS;                                                                    \
            break;                                                                                 \
        case CHEMLIB_SIMD_X86_64_V3:                                                               \
            NAME##_avx2 ARGS;                                                                      \
            break;                                                                                 \
        default:                                                                                   \
            NAME##_baseline ARGS;                                                                  \
        }                                                                                          \
    } while (0)
#else
#define CHEMLIB_CALL_PATH(simd_level, NAME, ARGS)                                                  \
    do {                                                                                           \
        (void)(simd_level);                                                                        \
        NAME##_baseline ARGS;                                                                      \
    } while (0)
#endif

#endif
