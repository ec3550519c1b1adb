/* The CPU check behind every run-time dispatch (simd_dispatch.h). */
#include "simd_dispatch.h"

int
chemlib_best_simd_level(void)
{
#if CHEMLIB_DISPATCH_X86
    /* libgcc's cpu model also checks that the OS saves the YMM (and, for
     * AVX-512, the ZMM and mask) registers. Every x86-64-v3 CPU has FMA beside
     * AVX2; frame_sums.c's AVX2 path uses it, so the level asks for both. */
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vl")) {
            return CHEMLIB_SIMD_X86_64_V4;
        }
        return CHEMLIB_SIMD_X86_64_V3;
    }
#endif
    return CHEMLIB_SIMD_BASELINE;
}

int
chemlib_simd_path(int simd_level)
{
    const int best = chemlib_best_simd_level();
    if (simd_level == CHEMLIB_SIMD_AUTO || simd_level > best) {
        return best;
    }
    return simd_level;
}
