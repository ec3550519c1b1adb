! Periodic cells and the minimum-image convention, shared by the Fortran
! kernels (compiled once into a static library, never wrapped by f2py).
! gfortran does not inline across files: what is here is called once per
! call or per block, never per element.
!
! A cell is given to every kernel as two 3x3 matrices prepared in Python
! (chemlib/_box.py): h, whose columns are the box vectors a, b, c (MDAnalysis'
! triclinic_vectors, transposed), and hinv, its inverse, whose rows are the
! reciprocal vectors. The kind of cell is derived here from h, so Python, C and
! Fortran share no table of constants:
!   h == 0                  -> no periodicity
!   h diagonal              -> orthorhombic
!   anything else           -> triclinic
module chemlib_kernel_math
    implicit none
    private

    integer, parameter, public :: dp = kind(1.0d0)
    integer, parameter, public :: CELL_NONE = 0, CELL_ORTHORHOMBIC = 1, CELL_TRICLINIC = 2
    ! Below this many elementary operations (pairs, atoms x frames) a parallel
    ! region costs more than it saves: kernels then run on the calling thread.
    integer(8), parameter, public :: MIN_PARALLEL_WORK = 20000

    ! (x + 1.5*2**52) - 1.5*2**52 rounds x to the nearest integer (ties to even)
    ! with two additions, for |x| < 2**51 (beyond 2**51 cell lengths float64
    ! holds no meaningful image anyway; the result stays finite). With the
    ! generic x86-64 baseline anint() is a library call that makes periodic
    ! kernels 5-10x slower and keeps loops from vectorising, so hot loops
    ! write this expression inline.
    real(dp), parameter, public :: ROUNDING_SHIFT = 6755399441055744.0_dp

    type, public :: periodic_cell
        integer :: kind = CELL_NONE
        real(dp) :: h(3, 3) = 0        ! columns: box vectors a, b, c (Angstrom)
        real(dp) :: hinv(3, 3) = 0     ! rows: reciprocal vectors (1/Angstrom)
        real(dp) :: lengths(3) = 0     ! diagonal of h (orthorhombic box lengths)
        real(dp) :: inv_lengths(3) = 0
        ! Lattice vectors t.h, t in {-1,0,1}^3, that can shorten some rounded
        ! displacement (see make_cell): the only images worth trying.
        integer :: n_shifts = 0
        real(dp) :: shifts(3, 26) = 0
    end type periodic_cell

    public :: make_cell, wrap_fractional, displacement_block

contains

    pure function make_cell(h, hinv) result(cell)
        real(dp), intent(in) :: h(3, 3), hinv(3, 3)
        type(periodic_cell) :: cell
        integer :: i

        cell%h = h
        cell%hinv = hinv
        if (all(h == 0)) then
            cell%kind = CELL_NONE
            return
        end if
        if (h(2, 1) == 0 .and. h(3, 1) == 0 .and. h(1, 2) == 0 .and. h(3, 2) == 0 &
            .and. h(1, 3) == 0 .and. h(2, 3) == 0) then
            cell%kind = CELL_ORTHORHOMBIC
        else
            cell%kind = CELL_TRICLINIC
        end if
        do i = 1, 3
            cell%lengths(i) = h(i, i)
            cell%inv_lengths(i) = hinv(i, i)
        end do
        if (cell%kind == CELL_TRICLINIC) call find_useful_shifts(cell)
    end function make_cell

    ! A displacement rounded into the cell is d = h s with s in [-1/2, 1/2]^3.
    ! The image d + v, v = h t, is shorter iff s . (G t) < -(t . G t) / 2 with
    ! G = h^T h; over that cube s . (G t) reaches -sum(|G t|) / 2, so v can
    ! only help when sum(|G t|) > t . G t. Trying just those v (a handful for
    ! a reduced cell) gives the same minimum as searching all 26 neighbours.
    ! Borderline vectors are kept: an extra candidate never changes the minimum.
    pure subroutine find_useful_shifts(cell)
        type(periodic_cell), intent(inout) :: cell
        real(dp) :: metric(3, 3), gt(3)
        integer :: i, j, k

        metric = matmul(transpose(cell%h), cell%h)
        cell%n_shifts = 0
        do k = -1, 1
            do j = -1, 1
                do i = -1, 1
                    if (i == 0 .and. j == 0 .and. k == 0) cycle
                    gt = matmul(metric, real([i, j, k], dp))
                    if (sum(abs(gt)) >= (1 - 1.0e-12_dp) * dot_product(real([i, j, k], dp), gt)) then
                        cell%n_shifts = cell%n_shifts + 1
                        cell%shifts(:, cell%n_shifts) = matmul(cell%h, real([i, j, k], dp))
                    end if
                end do
            end do
        end do
    end subroutine find_useful_shifts

    ! Largest integer <= x, as a real: the rounding trick, stepped down when
    ! it rounded up. (The intrinsic floor returns a default integer, which
    ! overflows beyond 2**31 cell lengths, and is a library call at the
    ! x86-64 baseline.)
    elemental function floor_real(x) result(r)
        real(dp), intent(in) :: x
        real(dp) :: r
        r = (x + ROUNDING_SHIFT) - ROUNDING_SHIFT
        r = merge(r - 1, r, r > x)
    end function floor_real

    ! Fractional coordinate s folded into [0, 1).
    elemental function wrap_fractional(s) result(w)
        real(dp), intent(in) :: s
        real(dp) :: w
        w = s - floor_real(s)
        ! s slightly below an integer can round up to exactly 1 after the subtraction.
        w = merge(0.0_dp, w, w >= 1)
    end function wrap_fractional

    ! Minimum-image displacements of a block of atom pairs: d(i, :) is the
    ! shortest image of to(:, i) - from(:, i). Blocks (a few hundred pairs) keep
    ! the columns in L1 and let every loop here vectorise; one call per block
    ! makes the call across files free.
    pure subroutine displacement_block(cell, from, to, d)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(in) :: from(:, :), to(:, :)
        real(dp), intent(out) :: d(:, :)
        real(dp), allocatable :: rounded(:, :)
        real(dp) :: trial(3), sa, sb, sc, trial_sq
        integer :: i, k

        do i = 1, size(d, 1)
            d(i, 1) = to(1, i) - from(1, i)
            d(i, 2) = to(2, i) - from(2, i)
            d(i, 3) = to(3, i) - from(3, i)
        end do
        select case (cell%kind)
        case (CELL_ORTHORHOMBIC)
            do k = 1, 3
                do i = 1, size(d, 1)
                    d(i, k) = d(i, k) - cell%lengths(k) &
                        * ((d(i, k) * cell%inv_lengths(k) + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                end do
            end do
        case (CELL_TRICLINIC)
            allocate (rounded(size(d, 1), 3))
            do i = 1, size(d, 1)
                sa = dot_product(cell%hinv(1, :), d(i, :))
                sb = dot_product(cell%hinv(2, :), d(i, :))
                sc = dot_product(cell%hinv(3, :), d(i, :))
                sa = sa - ((sa + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                sb = sb - ((sb + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                sc = sc - ((sc + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                rounded(i, :) = cell%h(:, 1) * sa + cell%h(:, 2) * sb + cell%h(:, 3) * sc
            end do
            d = rounded
            ! Each useful shift is tried on the rounded image (see find_useful_shifts).
            do k = 1, cell%n_shifts
                do i = 1, size(d, 1)
                    trial = rounded(i, :) + cell%shifts(:, k)
                    trial_sq = sum(trial**2)
                    if (trial_sq < sum(d(i, :)**2)) d(i, :) = trial
                end do
            end do
        end select
    end subroutine displacement_block

end module chemlib_kernel_math
