! Inner loops of calc_bonds, calc_angles and calc_dihedrals (geometry.f90),
! one block of rows at a time: the minimum-image displacements of the block
! come from minimum_image.f90's displacement_block, and everything after that is
! elementwise, so the loops vectorise. atan2 is computed here rather than by
! libm, whose scalar call (~20-35 ns) would dominate angles and dihedrals.
module chemlib_geometry_blocks
    use chemlib_minimum_image, only: dp, periodic_cell, displacement_block
    use chemlib_input_screen, only: all_finite
    implicit none
    private
    public :: BLOCK_SIZE, bond_block, angle_block, dihedral_block

    ! Rows per block (callers pass at most this many): the displacement columns
    ! of a dihedral block stay in L1, on the stack.
    integer, parameter :: BLOCK_SIZE = 256

    real(dp), parameter :: PI = 3.141592653589793238462643383279502884_dp
    real(dp), parameter :: TAN_PI_8 = 0.414213562373095048801688724209698079_dp
    ! Cephes' rational approximation of atan on [-tan(pi/8), tan(pi/8)]:
    ! atan(t) = t + t z P(z) / Q(z), z = t^2, within ~1 ulp there.
    real(dp), parameter :: P(5) = [-8.750608600031904122785e-1_dp, -1.615753718733365076637e1_dp, &
        -7.500855792314704667340e1_dp, -1.228866684490136173410e2_dp, -6.485021904942025371773e1_dp]
    real(dp), parameter :: Q(5) = [2.485846490142306297962e1_dp, 1.650270098316988542046e2_dp, &
        4.328810604912902668951e2_dp, 4.853903996359136964868e2_dp, 1.945506571482613964425e2_dp]

contains

    ! atan2(y, x) in [0, pi] for y >= 0 and in (-pi, pi] overall, within
    ! ~2 ulp of the correctly rounded value; atan2(0, 0) and atan2(-0, x < 0)
    ! give 0 and +pi, the conventions chemlib documents for degenerate angles.
    ! Branch-free (merges only), so callers' loops vectorise.
    elemental function vector_atan2(y, x) result(angle)
        real(dp), intent(in) :: y, x
        real(dp) :: angle
        real(dp) :: ax, ay, big, small, z, reduced, base
        logical :: folded

        ax = abs(x)
        ay = abs(y)
        big = max(ax, ay)
        small = min(ax, ay)
        ! Reduce to |reduced| <= tan(pi/8), dividing the inputs directly (not
        ! via small/big) so the reduction adds a single rounding.
        folded = small > TAN_PI_8 * big
        reduced = merge(small - big, small, folded) / merge(small + big, merge(1.0_dp, big, big == 0), folded)
        base = merge(PI / 4, 0.0_dp, folded)
        z = reduced * reduced
        angle = base + (reduced + reduced * z * ((((P(1) * z + P(2)) * z + P(3)) * z + P(4)) * z + P(5)) &
            / (((((z + Q(1)) * z + Q(2)) * z + Q(3)) * z + Q(4)) * z + Q(5)))
        angle = merge(PI / 2 - angle, angle, ay > ax)
        angle = merge(PI - angle, angle, x < 0)
        angle = merge(-angle, angle, y < 0)
        ! y a hair below zero with x < 0 rounds to -pi, outside (-pi, pi].
        angle = merge(PI, angle, angle <= -PI)
    end function vector_atan2

    ! Every block also adds 1 to non_finite if it met a NaN or infinity: the
    ! input screen, on values already in L1 (input_screen.f90). Each input
    ! value enters a displacement, and a non-finite displacement stays
    ! non-finite through the minimum image and through any product or sum it
    ! enters (inf * 0 is NaN), so the screened quantity of a row is
    ! non-finite whenever an input of the row is. (Finite input whose
    ! differences overflow is counted too; the wrapper then finds no bad
    ! argument and keeps the results.)
    subroutine bond_block(cell, c1, c2, bonds, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(in) :: c1(:, :), c2(:, :)
        real(dp), intent(out) :: bonds(:)
        integer(8), intent(inout) :: non_finite
        real(dp) :: d(BLOCK_SIZE, 3)
        integer :: nb

        nb = size(bonds)
        call displacement_block(cell, c1, c2, d(:nb, :))
        bonds = sqrt(d(:nb, 1)**2 + d(:nb, 2)**2 + d(:nb, 3)**2)
        if (.not. all_finite(int(nb, 8), bonds)) non_finite = non_finite + 1
    end subroutine bond_block

    ! Angle at c2: atan2(|u x v|, u . v), accurate near 0 and pi where acos is not.
    ! Screened: u . v, non-finite if u or v is.
    subroutine angle_block(cell, c1, c2, c3, angles, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(in) :: c1(:, :), c2(:, :), c3(:, :)
        real(dp), intent(out) :: angles(:)
        integer(8), intent(inout) :: non_finite
        real(dp) :: u(BLOCK_SIZE, 3), v(BLOCK_SIZE, 3), dots(BLOCK_SIZE)
        real(dp) :: wx, wy, wz
        integer :: i

        call displacement_block(cell, c2, c1, u(:size(angles), :))
        call displacement_block(cell, c2, c3, v(:size(angles), :))
        do i = 1, size(angles)
            wx = u(i, 2) * v(i, 3) - u(i, 3) * v(i, 2)
            wy = u(i, 3) * v(i, 1) - u(i, 1) * v(i, 3)
            wz = u(i, 1) * v(i, 2) - u(i, 2) * v(i, 1)
            dots(i) = u(i, 1) * v(i, 1) + u(i, 2) * v(i, 2) + u(i, 3) * v(i, 3)
            angles(i) = vector_atan2(sqrt(wx * wx + wy * wy + wz * wz), dots(i))
        end do
        if (.not. all_finite(size(angles, kind=8), dots)) non_finite = non_finite + 1
    end subroutine angle_block

    ! IUPAC dihedral: atan2(|b2| b1 . (b2 x b3), (b1 x b2) . (b2 x b3)).
    ! Screened: x + y, non-finite if b1 (through y), b2 (|b2| in y) or b3
    ! (through n2, in both) is.
    subroutine dihedral_block(cell, c1, c2, c3, c4, dihedrals, non_finite)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(in) :: c1(:, :), c2(:, :), c3(:, :), c4(:, :)
        real(dp), intent(out) :: dihedrals(:)
        integer(8), intent(inout) :: non_finite
        real(dp) :: b1(BLOCK_SIZE, 3), b2(BLOCK_SIZE, 3), b3(BLOCK_SIZE, 3), screened(BLOCK_SIZE)
        real(dp) :: n1x, n1y, n1z, n2x, n2y, n2z, y, x
        integer :: i

        call displacement_block(cell, c1, c2, b1(:size(dihedrals), :))
        call displacement_block(cell, c2, c3, b2(:size(dihedrals), :))
        call displacement_block(cell, c3, c4, b3(:size(dihedrals), :))
        do i = 1, size(dihedrals)
            n1x = b1(i, 2) * b2(i, 3) - b1(i, 3) * b2(i, 2)
            n1y = b1(i, 3) * b2(i, 1) - b1(i, 1) * b2(i, 3)
            n1z = b1(i, 1) * b2(i, 2) - b1(i, 2) * b2(i, 1)
            n2x = b2(i, 2) * b3(i, 3) - b2(i, 3) * b3(i, 2)
            n2y = b2(i, 3) * b3(i, 1) - b2(i, 1) * b3(i, 3)
            n2z = b2(i, 1) * b3(i, 2) - b2(i, 2) * b3(i, 1)
            y = sqrt(b2(i, 1)**2 + b2(i, 2)**2 + b2(i, 3)**2) &
                * (b1(i, 1) * n2x + b1(i, 2) * n2y + b1(i, 3) * n2z)
            x = n1x * n2x + n1y * n2y + n1z * n2z
            dihedrals(i) = vector_atan2(y, x)
            screened(i) = x + y
        end do
        if (.not. all_finite(size(dihedrals, kind=8), screened)) non_finite = non_finite + 1
    end subroutine dihedral_block

end module chemlib_geometry_blocks
