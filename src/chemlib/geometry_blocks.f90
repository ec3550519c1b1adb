! Inner loops of calc_bonds, calc_angles and calc_dihedrals (geometry.f90),
! one block of rows at a time. Each kernel has one loop over the rows of a
! block (bond_rows, angle_rows, dihedral_rows) that takes a row from its
! input to its result in registers: bond vectors as differences of two
! points, folded into an orthorhombic cell by one rounding per component
! (the inline idiom of minimum_image.f90). Without a cell or in an
! orthorhombic one the points are the coordinates themselves, so each row is
! read from memory once and nothing but the result (or atan2's two
! arguments, in L1) is stored. A triclinic minimum image needs a search over
! shifts, done a block at a time by minimum_image.f90's
! triclinic_displacements; the same loops then read those displacements as
! differences from the origin, with nothing to fold. atan2 is computed here
! (atan2_rows) rather than by libm, whose scalar call (~20-35 ns) would
! dominate angles and dihedrals. float32 coordinates are widened a block at a
! time into float64 buffers in L1 (the *_single blocks), so float32 input
! costs no float64 copy of the whole array and half the memory traffic.
module chemlib_geometry_blocks
    use chemlib_minimum_image, only: dp, periodic_cell, is_triclinic, triclinic_displacements, &
        ROUNDING_SHIFT
    use chemlib_input_screen, only: all_finite
    use, intrinsic :: iso_fortran_env, only: real32
    implicit none
    private
    public :: BLOCK_SIZE, bond_block, angle_block, dihedral_block
    public :: bond_block_single, angle_block_single, dihedral_block_single

    ! Rows per block (callers pass at most this many): a triclinic dihedral
    ! block's displacement columns stay in L1, on the stack.
    integer, parameter :: BLOCK_SIZE = 256
    ! Safe without the GIL: the module's only data are these parameters
    ! (read-only constants); blocks work in their callers' stack buffers.
    ! What the rows loops get in a triclinic cell, whose minimum images are
    ! already found: displacements start at the origin and are not folded.
    real(dp), parameter :: ORIGIN(3, BLOCK_SIZE) = 0
    real(dp), parameter :: NO_FOLD(3) = 0

    real(dp), parameter :: PI = 3.141592653589793238462643383279502884_dp
    real(dp), parameter :: TAN_PI_8 = 0.414213562373095048801688724209698079_dp
    ! Cephes' rational approximation of atan on [-tan(pi/8), tan(pi/8)]:
    ! atan(t) = t + t z P(z) / Q(z), z = t^2, within ~1 ulp there.
    real(dp), parameter :: P(5) = [-8.750608600031904122785e-1_dp, -1.615753718733365076637e1_dp, &
        -7.500855792314704667340e1_dp, -1.228866684490136173410e2_dp, -6.485021904942025371773e1_dp]
    real(dp), parameter :: Q(5) = [2.485846490142306297962e1_dp, 1.650270098316988542046e2_dp, &
        4.328810604912902668951e2_dp, 4.853903996359136964868e2_dp, 1.945506571482613964425e2_dp]

contains

    ! angles(i) = atan2(y(i), x(i)), in [0, pi] for y >= 0 and in (-pi, pi]
    ! overall, within ~2 ulp of the correctly rounded value; atan2(0, 0) and
    ! atan2(-0, x < 0) give 0 and +pi, the conventions chemlib documents for
    ! degenerate angles. Branch-free (merges only), so the loop vectorises. A
    ! loop over contiguous columns rather than an elemental function called
    ! from the rows loops: those loops vectorise only if GCC inlines the call,
    ! which its size limits decide differently from one caller to the next.
    subroutine atan2_rows(y, x, angles)
        real(dp), intent(in), contiguous :: y(:)
        real(dp), intent(in) :: x(size(y))
        real(dp), intent(out) :: angles(size(y))
        real(dp) :: ax, ay, big, small, z, reduced, base, angle
        logical :: past_pi_8
        integer :: i

        do i = 1, size(y)  ! must vectorise
            ax = abs(x(i))
            ay = abs(y(i))
            big = max(ax, ay)
            small = min(ax, ay)
            ! Reduce to |reduced| <= tan(pi/8), dividing the inputs directly (not
            ! via small/big) so the reduction adds a single rounding.
            past_pi_8 = small > TAN_PI_8 * big
            reduced = merge(small - big, small, past_pi_8) &
                / merge(small + big, merge(1.0_dp, big, big == 0), past_pi_8)
            base = merge(PI / 4, 0.0_dp, past_pi_8)
            z = reduced * reduced
            angle = base + (reduced + reduced * z * ((((P(1) * z + P(2)) * z + P(3)) * z + P(4)) * z + P(5)) &
                / (((((z + Q(1)) * z + Q(2)) * z + Q(3)) * z + Q(4)) * z + Q(5)))
            angle = merge(PI / 2 - angle, angle, ay > ax)
            angle = merge(PI - angle, angle, x(i) < 0)
            angle = merge(-angle, angle, y(i) < 0)
            ! y a hair below zero with x < 0 rounds to -pi, outside (-pi, pi].
            angle = merge(PI, angle, angle <= -PI)
            angles(i) = angle
        end do
    end subroutine atan2_rows

    ! Component of a displacement folded into [-length/2, length/2]; a length
    ! of 0 (no cell, or a triclinic image already found) leaves it unchanged.
    elemental function cell_folded(x, length, inv_length)
        real(dp), intent(in) :: x, length, inv_length
        real(dp) :: cell_folded
        cell_folded = x - length * ((x * inv_length + ROUNDING_SHIFT) - ROUNDING_SHIFT)
    end function cell_folded

    ! Every block also adds 1 to non_finite if it met a NaN or infinity: the
    ! input screen, on values already in L1 (input_screen.f90). Screened are
    ! the bond lengths, and atan2's two arguments for angles and dihedrals.
    ! Each input value enters a bond vector; a non-finite component becomes
    ! NaN in the fold (inf - inf, or inf * 0 without a cell) and stays NaN
    ! through every product and sum it enters, and every component enters a
    ! bond length or one of atan2's arguments. So a row's screened values are
    ! non-finite whenever one of its inputs is. (Finite input whose products
    ! overflow is counted too; the wrapper then finds no bad argument and
    ! keeps the results.)
    subroutine bond_block(cell, c1, c2, bonds, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(out), contiguous :: bonds(:)
        real(dp), intent(in), dimension(3, size(bonds)) :: c1, c2
        integer(8), intent(inout) :: non_finite
        real(dp) :: d(3, BLOCK_SIZE)
        integer :: nb

        nb = size(bonds)
        if (is_triclinic(cell)) then
            call triclinic_displacements(cell, c1, c2, d(:, :nb))
            call bond_rows(ORIGIN, d, NO_FOLD, NO_FOLD, bonds)
        else
            call bond_rows(c1, c2, cell%lengths, cell%inv_lengths, bonds)
        end if
        if (.not. all_finite(int(nb, 8), bonds)) non_finite = non_finite + 1
    end subroutine bond_block

    ! Length of each bond vector p2 - p1, folded into the cell.
    subroutine bond_rows(p1, p2, lengths, inv_lengths, bonds)
        real(dp), intent(out), contiguous :: bonds(:)
        real(dp), intent(in), dimension(3, size(bonds)) :: p1, p2
        real(dp), intent(in) :: lengths(3), inv_lengths(3)
        real(dp) :: dx, dy, dz
        integer :: i

        do i = 1, size(bonds)  ! must vectorise
            dx = cell_folded(p2(1, i) - p1(1, i), lengths(1), inv_lengths(1))
            dy = cell_folded(p2(2, i) - p1(2, i), lengths(2), inv_lengths(2))
            dz = cell_folded(p2(3, i) - p1(3, i), lengths(3), inv_lengths(3))
            bonds(i) = sqrt(dx * dx + dy * dy + dz * dz)
        end do
    end subroutine bond_rows

    ! Angles at c2, between the bonds to c1 and to c3.
    subroutine angle_block(cell, c1, c2, c3, angles, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(out), contiguous :: angles(:)
        real(dp), intent(in), dimension(3, size(angles)) :: c1, c2, c3
        integer(8), intent(inout) :: non_finite
        real(dp) :: u(3, BLOCK_SIZE), v(3, BLOCK_SIZE), y(BLOCK_SIZE), x(BLOCK_SIZE)
        integer :: nb

        nb = size(angles)
        if (is_triclinic(cell)) then
            call triclinic_displacements(cell, c2, c1, u(:, :nb))
            call triclinic_displacements(cell, c2, c3, v(:, :nb))
            call angle_rows(ORIGIN, u, ORIGIN, v, NO_FOLD, NO_FOLD, y(:nb), x(:nb))
        else
            call angle_rows(c2, c1, c2, c3, cell%lengths, cell%inv_lengths, y(:nb), x(:nb))
        end if
        call atan2_rows(y(:nb), x(:nb), angles)
        if (.not. (all_finite(int(nb, 8), y) .and. all_finite(int(nb, 8), x))) non_finite = non_finite + 1
    end subroutine angle_block

    ! The angle between u = u_to - u_from and v = v_to - v_from (each folded
    ! into the cell) is atan2(y, x) with y = |u x v| and x = u . v: accurate
    ! near 0 and pi, where acos is not.
    subroutine angle_rows(u_from, u_to, v_from, v_to, lengths, inv_lengths, y, x)
        real(dp), intent(out), contiguous :: y(:)
        real(dp), intent(out) :: x(size(y))
        real(dp), intent(in), dimension(3, size(y)) :: u_from, u_to, v_from, v_to
        real(dp), intent(in) :: lengths(3), inv_lengths(3)
        real(dp) :: ux, uy, uz, vx, vy, vz, wx, wy, wz
        integer :: i

        do i = 1, size(y)  ! must vectorise
            ux = cell_folded(u_to(1, i) - u_from(1, i), lengths(1), inv_lengths(1))
            uy = cell_folded(u_to(2, i) - u_from(2, i), lengths(2), inv_lengths(2))
            uz = cell_folded(u_to(3, i) - u_from(3, i), lengths(3), inv_lengths(3))
            vx = cell_folded(v_to(1, i) - v_from(1, i), lengths(1), inv_lengths(1))
            vy = cell_folded(v_to(2, i) - v_from(2, i), lengths(2), inv_lengths(2))
            vz = cell_folded(v_to(3, i) - v_from(3, i), lengths(3), inv_lengths(3))
            wx = uy * vz - uz * vy
            wy = uz * vx - ux * vz
            wz = ux * vy - uy * vx
            y(i) = sqrt(wx * wx + wy * wy + wz * wz)
            x(i) = ux * vx + uy * vy + uz * vz
        end do
    end subroutine angle_rows

    ! Dihedrals of c1-c2-c3-c4.
    subroutine dihedral_block(cell, c1, c2, c3, c4, dihedrals, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(out), contiguous :: dihedrals(:)
        real(dp), intent(in), dimension(3, size(dihedrals)) :: c1, c2, c3, c4
        integer(8), intent(inout) :: non_finite
        real(dp) :: b1(3, BLOCK_SIZE), b2(3, BLOCK_SIZE), b3(3, BLOCK_SIZE), y(BLOCK_SIZE), x(BLOCK_SIZE)
        integer :: nb

        nb = size(dihedrals)
        if (is_triclinic(cell)) then
            call triclinic_displacements(cell, c1, c2, b1(:, :nb))
            call triclinic_displacements(cell, c2, c3, b2(:, :nb))
            call triclinic_displacements(cell, c3, c4, b3(:, :nb))
            call dihedral_rows(ORIGIN, b1, ORIGIN, b2, ORIGIN, b3, NO_FOLD, NO_FOLD, y(:nb), x(:nb))
        else
            call dihedral_rows(c1, c2, c2, c3, c3, c4, cell%lengths, cell%inv_lengths, y(:nb), x(:nb))
        end if
        call atan2_rows(y(:nb), x(:nb), dihedrals)
        if (.not. (all_finite(int(nb, 8), y) .and. all_finite(int(nb, 8), x))) non_finite = non_finite + 1
    end subroutine dihedral_block

    ! The IUPAC dihedral of the bond vectors bk = bk_to - bk_from (each
    ! folded into the cell) is atan2(y, x) with y = |b2| b1 . (b2 x b3) and
    ! x = (b1 x b2) . (b2 x b3).
    subroutine dihedral_rows(b1_from, b1_to, b2_from, b2_to, b3_from, b3_to, lengths, inv_lengths, y, x)
        real(dp), intent(out), contiguous :: y(:)
        real(dp), intent(out) :: x(size(y))
        real(dp), intent(in), dimension(3, size(y)) :: b1_from, b1_to, b2_from, b2_to, b3_from, b3_to
        real(dp), intent(in) :: lengths(3), inv_lengths(3)
        real(dp) :: b1x, b1y, b1z, b2x, b2y, b2z, b3x, b3y, b3z, n1x, n1y, n1z, n2x, n2y, n2z
        integer :: i

        do i = 1, size(y)  ! must vectorise
            b1x = cell_folded(b1_to(1, i) - b1_from(1, i), lengths(1), inv_lengths(1))
            b1y = cell_folded(b1_to(2, i) - b1_from(2, i), lengths(2), inv_lengths(2))
            b1z = cell_folded(b1_to(3, i) - b1_from(3, i), lengths(3), inv_lengths(3))
            b2x = cell_folded(b2_to(1, i) - b2_from(1, i), lengths(1), inv_lengths(1))
            b2y = cell_folded(b2_to(2, i) - b2_from(2, i), lengths(2), inv_lengths(2))
            b2z = cell_folded(b2_to(3, i) - b2_from(3, i), lengths(3), inv_lengths(3))
            b3x = cell_folded(b3_to(1, i) - b3_from(1, i), lengths(1), inv_lengths(1))
            b3y = cell_folded(b3_to(2, i) - b3_from(2, i), lengths(2), inv_lengths(2))
            b3z = cell_folded(b3_to(3, i) - b3_from(3, i), lengths(3), inv_lengths(3))
            n1x = b1y * b2z - b1z * b2y
            n1y = b1z * b2x - b1x * b2z
            n1z = b1x * b2y - b1y * b2x
            n2x = b2y * b3z - b2z * b3y
            n2y = b2z * b3x - b2x * b3z
            n2z = b2x * b3y - b2y * b3x
            y(i) = sqrt(b2x * b2x + b2y * b2y + b2z * b2z) * (b1x * n2x + b1y * n2y + b1z * n2z)
            x(i) = n1x * n2x + n1y * n2y + n1z * n2z
        end do
    end subroutine dihedral_rows

    ! The float32 blocks: each point set widened into a float64 buffer in L1,
    ! then the float64 block. Points are passed as flat sequences (3 * rows
    ! values; sequence association), so the widening is one unit-stride loop.
    subroutine bond_block_single(cell, c1, c2, bonds, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(out), contiguous :: bonds(:)
        real(real32), intent(in), dimension(3 * size(bonds)) :: c1, c2
        integer(8), intent(inout) :: non_finite
        real(dp) :: w1(3 * BLOCK_SIZE), w2(3 * BLOCK_SIZE)

        call widened(c1, w1)
        call widened(c2, w2)
        call bond_block(cell, w1, w2, bonds, non_finite)
    end subroutine bond_block_single

    subroutine angle_block_single(cell, c1, c2, c3, angles, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(out), contiguous :: angles(:)
        real(real32), intent(in), dimension(3 * size(angles)) :: c1, c2, c3
        integer(8), intent(inout) :: non_finite
        real(dp) :: w1(3 * BLOCK_SIZE), w2(3 * BLOCK_SIZE), w3(3 * BLOCK_SIZE)

        call widened(c1, w1)
        call widened(c2, w2)
        call widened(c3, w3)
        call angle_block(cell, w1, w2, w3, angles, non_finite)
    end subroutine angle_block_single

    subroutine dihedral_block_single(cell, c1, c2, c3, c4, dihedrals, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(out), contiguous :: dihedrals(:)
        real(real32), intent(in), dimension(3 * size(dihedrals)) :: c1, c2, c3, c4
        integer(8), intent(inout) :: non_finite
        real(dp) :: w1(3 * BLOCK_SIZE), w2(3 * BLOCK_SIZE), w3(3 * BLOCK_SIZE), w4(3 * BLOCK_SIZE)

        call widened(c1, w1)
        call widened(c2, w2)
        call widened(c3, w3)
        call widened(c4, w4)
        call dihedral_block(cell, w1, w2, w3, w4, dihedrals, non_finite)
    end subroutine dihedral_block_single

    ! single as float64, into the start of double.
    pure subroutine widened(single, double)
        real(real32), intent(in), contiguous :: single(:)
        real(dp), intent(inout) :: double(*)
        integer :: i

        do i = 1, size(single)  ! must vectorise
            double(i) = single(i)
        end do
    end subroutine widened

end module chemlib_geometry_blocks
