! The NaN/infinity screen that kernels run on values they have in cache
! anyway. A separate screen before the kernel (chemlib._finite_check) reads
! every input array once more from memory, which for the memory-bound
! geometry and trajectory kernels costs a large part of the kernel's time.
! The geometry blocks (geometry_blocks.f90) screen quantities they computed
! from every input of the block; the trajectory RMSD needs no pass at all,
! as a frame's weighted sum is non-finite exactly when the frame holds a NaN
! or infinity (superposition.f90). The wrappers raise the argument checks'
! ValueError when a kernel reports a non-finite value
! (chemlib._arguments.raise_if_non_finite). No kernel indexes memory by a
! coordinate value, so computing on a NaN is harmless; its results are
! discarded.
module chemlib_input_screen
    use, intrinsic :: iso_fortran_env, only: real64
    implicit none
    private
    public :: all_finite

    ! Safe without the GIL: no module variables; the partial sums are locals
    ! of each call.
    ! Independent partial sums: the loop vectorises at every x86-64 level
    ! without reordering a floating-point sum (the compiler may not).
    integer, parameter :: LANES = 8

contains

    ! Are all n values finite? x * 0 is 0 for finite x and NaN for NaN and
    ! infinity, and a NaN survives any sum: one multiply-add per value.
    pure logical function all_finite(n, values)
        integer(8), intent(in) :: n
        real(real64), intent(in) :: values(n)
        real(real64) :: partial(LANES)
        integer(8) :: i, full

        partial = 0
        full = n - mod(n, int(LANES, 8))
        do i = 1, full, LANES
            partial = partial + values(i:i + LANES - 1) * 0
        end do
        do i = full + 1, n
            partial(1) = partial(1) + values(i) * 0
        end do
        all_finite = all(partial == 0)
    end function all_finite

end module chemlib_input_screen
