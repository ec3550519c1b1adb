! Periodic cells, the minimum-image convention and small vector helpers shared
! by the Fortran kernels (compiled once into a static library, never wrapped).
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
    ! with two additions, for |x| < 2**51. With the generic x86-64 baseline,
    ! anint() is a library call that makes periodic kernels 5-10x slower, and
    ! it keeps loops from vectorising; hot loops write the expression inline
    ! (gfortran does not inline across files) on inputs wrapped into the cell.
    real(dp), parameter, public :: ROUNDING_SHIFT = 6755399441055744.0_dp

    type, public :: periodic_cell
        integer :: kind = CELL_NONE
        real(dp) :: h(3, 3) = 0        ! columns: box vectors a, b, c (Angstrom)
        real(dp) :: hinv(3, 3) = 0     ! rows: reciprocal vectors (1/Angstrom)
        real(dp) :: lengths(3) = 0     ! diagonal of h (orthorhombic box lengths)
        real(dp) :: inv_lengths(3) = 0
        ! Squared half of the smallest cell height: a displacement no longer than
        ! this is already the minimum image once its fractional components are
        ! rounded into [-1/2, 1/2].
        real(dp) :: unique_image_sq = 0
        ! Lattice vectors t.h, t in {-1,0,1}^3, that can shorten some rounded
        ! displacement (see make_cell): the only images worth trying.
        integer :: n_shifts = 0
        real(dp) :: shifts(3, 26) = 0
    end type periodic_cell

    public :: make_cell, round_nearest, minimum_image, minimum_image_triclinic
    public :: wrap_fractional, cross_product, displacement_block

contains

    pure function make_cell(h, hinv) result(cell)
        real(dp), intent(in) :: h(3, 3), hinv(3, 3)
        type(periodic_cell) :: cell
        integer :: i
        real(dp) :: min_height

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
        ! The height of the cell along reciprocal vector i is 1/|hinv(i,:)|.
        min_height = huge(1.0_dp)
        do i = 1, 3
            min_height = min(min_height, 1 / norm2(hinv(i, :)))
        end do
        cell%unique_image_sq = (min_height / 2)**2
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

    ! Nearest integer of x (ties to even) by the two-addition trick. Beyond
    ! 2**51 cell lengths float64 holds no meaningful minimum image anyway; the
    ! result stays finite there.
    elemental function round_nearest(x) result(r)
        real(dp), intent(in) :: x
        real(dp) :: r
        r = (x + ROUNDING_SHIFT) - ROUNDING_SHIFT
    end function round_nearest

    ! Fractional coordinate s folded into [0, 1).
    elemental function wrap_fractional(s) result(w)
        real(dp), intent(in) :: s
        real(dp) :: w
        w = s - floor(s)
        ! s slightly below an integer can round up to exactly 1 after the subtraction.
        if (w >= 1) w = 0
    end function wrap_fractional

    ! Replace the displacement d by its shortest periodic image.
    pure subroutine minimum_image(cell, d)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(inout) :: d(3)
        select case (cell%kind)
        case (CELL_ORTHORHOMBIC)
            d = d - cell%lengths * round_nearest(d * cell%inv_lengths)
        case (CELL_TRICLINIC)
            call minimum_image_triclinic(cell, d)
        end select
    end subroutine minimum_image

    ! Triclinic minimum image: round the fractional displacement into the cell,
    ! which is exact whenever the result is shorter than half the smallest
    ! height; otherwise also try the useful neighbouring images (rounding
    ! alone picks the wrong image for ~29% of pairs in a rhombic dodecahedron).
    pure subroutine minimum_image_triclinic(cell, d)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(inout) :: d(3)
        real(dp) :: s(3), best(3), trial(3), best_sq, trial_sq
        integer :: k

        s = matmul(cell%hinv, d)
        s = s - round_nearest(s)
        d = matmul(cell%h, s)
        best_sq = sum(d**2)
        if (best_sq <= cell%unique_image_sq) return
        best = d
        do k = 1, cell%n_shifts
            trial = d + cell%shifts(:, k)
            trial_sq = sum(trial**2)
            if (trial_sq < best_sq) then
                best_sq = trial_sq
                best = trial
            end if
        end do
        d = best
    end subroutine minimum_image_triclinic

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

    pure function cross_product(u, v) result(w)
        real(dp), intent(in) :: u(3), v(3)
        real(dp) :: w(3)
        w(1) = u(2) * v(3) - u(3) * v(2)
        w(2) = u(3) * v(1) - u(1) * v(3)
        w(3) = u(1) * v(2) - u(2) * v(1)
    end function cross_product

end module chemlib_kernel_math
