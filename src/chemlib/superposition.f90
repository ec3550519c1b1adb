! Optimal superposition of weighted coordinate sets: the sums that describe a
! pair of structures, Theobald's QCP for the smallest RMSD, and the rotation
! itself from LAPACK's symmetric eigensolver. Used by rmsd.f90.
!
! Notation: a is the reference, b the mobile structure, w the weights, W their
! sum; a' and b' are centred. S = sum w a' b'^T (3x3), E0 = (sum w|a'|^2 +
! sum w|b'|^2) / 2. The smallest sum w|a' - R b'|^2 over rotations R is
! 2 (E0 - lambda), lambda the largest eigenvalue of Horn's 4x4 key matrix of S.
module chemlib_superposition
    use chemlib_minimum_image, only: dp
    implicit none
    private
    public :: weighted_centroid, superposed_msd, refined_msd

    ! Below this fraction of the structures' squared sizes, 2 (E0 - lambda) has
    ! lost most of its digits to cancellation (nearly identical structures):
    ! the MSD is then recomputed directly from the rotated coordinates.
    real(dp), parameter :: CANCELLATION_FRACTION = 1.0e-6_dp
    real(dp), parameter :: NEWTON_TOLERANCE = 1.0e-14_dp
    integer, parameter :: NEWTON_MAX_ITERATIONS = 50

contains

    pure function weighted_centroid(x, w, wsum) result(c)
        real(dp), intent(in) :: x(:, :), w(:), wsum
        real(dp) :: c(3)
        integer(8) :: k
        c = 0
        do k = 1, size(w, kind=8)
            c = c + w(k) * x(:, k)
        end do
        c = c / wsum
    end function weighted_centroid

    ! One pass over the atoms: S and E0 of the structures centred on ca and cb.
    pure subroutine pair_sums(a, ca, b, cb, w, s, e0)
        real(dp), intent(in) :: a(:, :), ca(3), b(:, :), cb(3), w(:)
        real(dp), intent(out) :: s(3, 3), e0
        real(dp) :: ak(3), bk(3)
        integer(8) :: k
        integer :: i
        s = 0
        e0 = 0
        do k = 1, size(w, kind=8)
            ak = a(:, k) - ca
            bk = w(k) * (b(:, k) - cb)
            do i = 1, 3
                s(:, i) = s(:, i) + ak * bk(i)
            end do
            e0 = e0 + w(k) * sum(ak**2) + sum(bk * (b(:, k) - cb))
        end do
        e0 = e0 / 2
    end subroutine pair_sums

    ! Horn's key matrix: its eigenvector of the largest eigenvalue is the
    ! quaternion of the rotation that maps b' onto a'.
    pure function key_matrix(s) result(k)
        real(dp), intent(in) :: s(3, 3)
        real(dp) :: k(4, 4)
        k(1, 1) = s(1, 1) + s(2, 2) + s(3, 3)
        k(2, 1) = s(2, 3) - s(3, 2)
        k(3, 1) = s(3, 1) - s(1, 3)
        k(4, 1) = s(1, 2) - s(2, 1)
        k(2, 2) = s(1, 1) - s(2, 2) - s(3, 3)
        k(3, 2) = s(1, 2) + s(2, 1)
        k(4, 2) = s(3, 1) + s(1, 3)
        k(3, 3) = -s(1, 1) + s(2, 2) - s(3, 3)
        k(4, 3) = s(2, 3) + s(3, 2)
        k(4, 4) = -s(1, 1) - s(2, 2) + s(3, 3)
        k(1, 2) = k(2, 1)
        k(1, 3) = k(3, 1)
        k(1, 4) = k(4, 1)
        k(2, 3) = k(3, 2)
        k(2, 4) = k(4, 2)
        k(3, 4) = k(4, 3)
    end function key_matrix

    ! Largest eigenvalue of the key matrix by Newton's method on its
    ! characteristic polynomial, started from E0, an upper bound (Theobald 2005).
    ! converged is false when Newton stalls; callers then use LAPACK.
    pure subroutine qcp_largest_eigenvalue(s, e0, lambda, converged)
        real(dp), intent(in) :: s(3, 3), e0
        real(dp), intent(out) :: lambda
        logical, intent(out) :: converged
        real(dp) :: k(4, 4), c0, c1, c2, p, dp_dl, step
        integer :: iteration

        k = key_matrix(s)
        c2 = -2 * sum(s**2)
        c1 = -8 * (s(1, 1) * (s(2, 2) * s(3, 3) - s(2, 3) * s(3, 2)) &
            - s(1, 2) * (s(2, 1) * s(3, 3) - s(2, 3) * s(3, 1)) &
            + s(1, 3) * (s(2, 1) * s(3, 2) - s(2, 2) * s(3, 1)))
        c0 = determinant4(k)
        lambda = e0
        converged = .false.
        do iteration = 1, NEWTON_MAX_ITERATIONS
            p = ((lambda * lambda + c2) * lambda + c1) * lambda + c0
            dp_dl = (4 * lambda * lambda + 2 * c2) * lambda + c1
            if (dp_dl == 0) return
            step = p / dp_dl
            lambda = lambda - step
            if (abs(step) <= NEWTON_TOLERANCE * abs(lambda)) then
                converged = .true.
                return
            end if
        end do
    end subroutine qcp_largest_eigenvalue

    ! Laplace expansion along the first two rows (complementary 2x2 minors).
    pure function determinant4(k) result(det)
        real(dp), intent(in) :: k(4, 4)
        real(dp) :: det
        real(dp) :: s0, s1, s2, s3, s4, s5, c0, c1, c2, c3, c4, c5
        s0 = k(1, 1) * k(2, 2) - k(2, 1) * k(1, 2)
        s1 = k(1, 1) * k(2, 3) - k(2, 1) * k(1, 3)
        s2 = k(1, 1) * k(2, 4) - k(2, 1) * k(1, 4)
        s3 = k(1, 2) * k(2, 3) - k(2, 2) * k(1, 3)
        s4 = k(1, 2) * k(2, 4) - k(2, 2) * k(1, 4)
        s5 = k(1, 3) * k(2, 4) - k(2, 3) * k(1, 4)
        c5 = k(3, 3) * k(4, 4) - k(4, 3) * k(3, 4)
        c4 = k(3, 2) * k(4, 4) - k(4, 2) * k(3, 4)
        c3 = k(3, 2) * k(4, 3) - k(4, 2) * k(3, 3)
        c2 = k(3, 1) * k(4, 4) - k(4, 1) * k(3, 4)
        c1 = k(3, 1) * k(4, 3) - k(4, 1) * k(3, 3)
        c0 = k(3, 1) * k(4, 2) - k(4, 1) * k(3, 2)
        det = s0 * c5 - s1 * c4 + s2 * c3 + s3 * c2 - s4 * c1 + s5 * c0
    end function determinant4

    ! Rotation R (a' ~ R b') and the key matrix's largest eigenvalue, from
    ! LAPACK's dsyev. info is dsyev's.
    subroutine optimal_rotation(s, rotation, lambda, info)
        real(dp), intent(in) :: s(3, 3)
        real(dp), intent(out) :: rotation(3, 3), lambda
        integer, intent(out) :: info
        real(dp) :: k(4, 4), eigenvalues(4), work(64), q(4)
        external :: dsyev

        k = key_matrix(s)
        call dsyev('V', 'U', 4, k, 4, eigenvalues, work, size(work), info)
        rotation = 0
        lambda = 0
        if (info /= 0) return
        lambda = eigenvalues(4)  ! ascending order
        q = k(:, 4)
        rotation(1, 1) = q(1)**2 + q(2)**2 - q(3)**2 - q(4)**2
        rotation(2, 2) = q(1)**2 - q(2)**2 + q(3)**2 - q(4)**2
        rotation(3, 3) = q(1)**2 - q(2)**2 - q(3)**2 + q(4)**2
        ! With S = sum w a' b'^T the eigenvector is the quaternion of the
        ! rotation taking a' to b'; its conjugate, written out here, maps b'
        ! onto a'.
        rotation(1, 2) = 2 * (q(2) * q(3) + q(1) * q(4))
        rotation(2, 1) = 2 * (q(2) * q(3) - q(1) * q(4))
        rotation(1, 3) = 2 * (q(2) * q(4) - q(1) * q(3))
        rotation(3, 1) = 2 * (q(2) * q(4) + q(1) * q(3))
        rotation(2, 3) = 2 * (q(3) * q(4) + q(1) * q(2))
        rotation(3, 2) = 2 * (q(3) * q(4) - q(1) * q(2))
    end subroutine optimal_rotation

    ! Weighted mean squared deviation after the optimal superposition of b
    ! onto a reference already centred (a_c, with ga = sum w |a_c|^2 and
    ! sum_wa = sum w a_c, zero but for rounding), in one pass over b: its
    ! centroid, S and sum w |b|^2 come from the same loop, because centring b
    ! first would read it twice. b is taken relative to the reference's own
    ! centroid ca, which removes the bulk of any offset from the origin before
    ! anything is squared. QCP is the fast path; refined_msd recomputes from
    ! centred coordinates when Newton stalls or when 2 (E0 - lambda) is within
    ! reach of the rounding error of these one-pass sums (nearly identical
    ! structures).
    subroutine superposed_msd(n, a_c, ca, ga, sum_wa, b, w, wsum, msd, info)
        ! Explicit shapes: the compiler knows the columns are contiguous.
        integer(8), intent(in) :: n
        real(dp), intent(in) :: a_c(3, n), ca(3), ga, sum_wa(3), b(3, n), w(n), wsum
        real(dp), intent(out) :: msd
        integer, intent(out) :: info
        real(dp) :: s(3, 3), sum_wb(3), sum_wbb, cb(3), e0, lambda, rotation(3, 3), wb(3), bk(3)
        logical :: converged
        integer(8) :: k
        integer :: i

        s = 0
        sum_wb = 0
        sum_wbb = 0
        do k = 1, n
            bk = b(:, k) - ca
            wb = w(k) * bk
            sum_wb = sum_wb + wb
            sum_wbb = sum_wbb + wb(1) * bk(1) + wb(2) * bk(2) + wb(3) * bk(3)
            do i = 1, 3
                s(:, i) = s(:, i) + a_c(:, k) * wb(i)
            end do
        end do
        cb = sum_wb / wsum  ! relative to ca
        ! S of the centred pair: sum w a_c (b - cb)^T = S_raw - sum_wa cb^T.
        do i = 1, 3
            s(:, i) = s(:, i) - sum_wa * cb(i)
        end do
        e0 = (ga + sum_wbb - wsum * dot_product(cb, cb)) / 2
        call qcp_largest_eigenvalue(s, e0, lambda, converged)
        info = 0
        if (converged .and. 2 * (e0 - lambda) > CANCELLATION_FRACTION * (ga + sum_wbb)) then
            msd = 2 * (e0 - lambda) / wsum
        else
            ! b's centroid afresh (not ca + cb): identical structures then get
            ! bit-identical centred coordinates, the identity and exactly 0.
            call refined_msd(n, a_c, [0.0_dp, 0.0_dp, 0.0_dp], b, weighted_centroid(b, w, wsum), w, &
                             wsum, msd, rotation, info)
        end if
    end subroutine superposed_msd

    ! The same deviation the careful way: sums over centred coordinates, the
    ! rotation from LAPACK (returned too), and the deviation summed directly
    ! over the rotated atoms, so identical structures give exactly 0.
    subroutine refined_msd(n, a, ca, b, cb, w, wsum, msd, rotation, info)
        integer(8), intent(in) :: n
        real(dp), intent(in) :: a(3, n), ca(3), b(3, n), cb(3), w(n), wsum
        real(dp), intent(out) :: msd, rotation(3, 3)
        integer, intent(out) :: info
        real(dp) :: s(3, 3), e0, lambda
        integer(8) :: k

        call pair_sums(a, ca, b, cb, w, s, e0)
        call optimal_rotation(s, rotation, lambda, info)
        msd = 0
        if (info /= 0) return
        do k = 1, n
            msd = msd + w(k) * sum((a(:, k) - ca - matmul(rotation, b(:, k) - cb))**2)
        end do
        msd = msd / wsum
    end subroutine refined_msd

end module chemlib_superposition
