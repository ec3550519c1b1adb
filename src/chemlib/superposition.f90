! Optimal superposition of weighted coordinate sets: the sums that describe a
! pair of structures, Theobald's QCP for the smallest RMSD, and the rotation
! itself from LAPACK's symmetric eigensolver. Used by rmsd.f90.
!
! Notation: a is the reference, b the mobile structure, w the weights, W their
! sum; a' and b' are centred. S = sum w a' b'^T (3x3), E0 = (sum w|a'|^2 +
! sum w|b'|^2) / 2. The smallest sum w|a' - R b'|^2 over rotations R is
! 2 (E0 - lambda), lambda the largest eigenvalue of Horn's 4x4 key matrix of S.
!
! The reference is held as columns, x(k, 1:3) for atom k, prepared once; the
! frames are read where they lie, as NumPy's rows (3, n): a copy into columns
! per frame cost more than the shuffles that split rows into vectors. Sums
! over atoms vectorise with one partial sum per SIMD lane (`omp simd
! reduction`: the order of the additions depends on the vector width, not on
! the thread count). The frame pass of superposition is in C (frame_sums.c),
! where it is compiled for the baseline and for AVX2 and picked at run time.
module chemlib_superposition
    use, intrinsic :: ieee_arithmetic, only: ieee_is_finite, ieee_value, ieee_quiet_nan
    use, intrinsic :: iso_fortran_env, only: real32
    use chemlib_minimum_image, only: dp
    implicit none
    private
    public :: reference_structure, prepared_reference, frame_msd, frame_msd_single, record_frame, &
        weighted_centroid, refined_msd

    ! QCP's 2 (E0 - lambda) is used only when its estimated rounding error
    ! (qcp_error_estimate) is at most this fraction of it; otherwise the MSD
    ! is summed directly over the rotated atoms (refined_msd). The README's
    ! precision table states the resulting bound and tests/kernels/
    ! test_precision.py holds the kernels to it.
    real(dp), parameter :: QCP_RELATIVE_TOLERANCE = 1.0e-11_dp
    ! Rounding error, in units of epsilon, of the characteristic polynomial
    ! (relative to E0**4) and of sums over up to 64 atoms (relative to the
    ! structures' squared sizes): a few operations each, with margin. Sums
    ! over more atoms are taken to grow as sqrt(n), as rounding errors of
    ! random sign do (the worst case, n, is not met in practice).
    real(dp), parameter :: QCP_ERROR_ULPS = 8
    real(dp), parameter :: NEWTON_TOLERANCE = 1.0e-14_dp
    integer, parameter :: NEWTON_MAX_ITERATIONS = 50

    ! Safe without the GIL: the module keeps no variables (parameters only).
    ! Each kernel call prepares its own reference_structure, a local that its
    ! OpenMP threads only read; a thread's float32 widening buffer is its own
    ! private local of the parallel region. Nothing is reused between calls.

    ! What every frame is compared with: the reference centred once, with the
    ! sums over it that each frame's pass would otherwise recompute.
    type :: reference_structure
        ! centring: reference and frames are centred here (centring or
        ! superposing, unless the caller centred them: precentered, where
        ! superposition only rotates, about the origin).
        logical :: centring, superposition
        real(dp), allocatable :: centred(:, :)  ! a - centroid, columns (n, 3)
        ! w (a - centroid): S = sum w a' b'^T without a product by w per frame
        real(dp), allocatable :: weighted(:, :)
        real(dp) :: centroid(3)                 ! 0 unless centring here
        real(dp) :: wsum                        ! sum w
        real(dp) :: ga                          ! sum w |a'|^2
        real(dp) :: sum_wa(3)                   ! sum w a': zero but for rounding
        ! The instructions of the frame pass (frame_sums.c): 0 lets the CPU
        ! pick; the trajectory kernels' private simd_level argument forces one.
        integer :: simd_level = 0
    end type reference_structure

    interface
        ! The one pass over a frame b (rows) that superposition needs, in C so
        ! that it is compiled for the baseline and for AVX2 and dispatched at
        ! run time (frame_sums.c): with b' = b - ca, S_raw = sum wa b'^T (wa:
        ! the weighted centred reference, so 9 products per atom, not 12),
        ! sum_wb = sum w b' and sum_wbb = sum w |b'|^2. precentered (nonzero):
        ! b' = b, and sum_wb is left 0.
        subroutine frame_sums(n, wa, ca, b, w, s, sum_wb, sum_wbb, precentered, simd_level) &
            bind(C, name="chemlib_frame_sums")
            use, intrinsic :: iso_c_binding, only: c_double, c_int64_t, c_int
            integer(c_int64_t), value :: n
            real(c_double), intent(in) :: wa(n, 3), ca(3), b(3, n), w(n)
            real(c_double), intent(out) :: s(3, 3), sum_wb(3), sum_wbb
            integer(c_int), value :: precentered, simd_level
        end subroutine frame_sums

        ! The same pass over a float32 frame: the AVX2 path reads it as it is,
        ! the baseline path widens it into wide first.
        subroutine frame_sums_single(n, wa, ca, b, w, s, sum_wb, sum_wbb, wide, precentered, &
                                     simd_level) bind(C, name="chemlib_frame_sums_single")
            use, intrinsic :: iso_c_binding, only: c_double, c_float, c_int64_t, c_int
            integer(c_int64_t), value :: n
            real(c_double), intent(in) :: wa(n, 3), ca(3), w(n)
            real(c_float), intent(in) :: b(3, n)
            real(c_double), intent(out) :: s(3, 3), sum_wb(3), sum_wbb
            real(c_double), intent(inout) :: wide(3, n)
            integer(c_int), value :: precentered, simd_level
        end subroutine frame_sums_single
    end interface

contains

    ! Of a structure given as rows (3, n).
    pure function weighted_centroid(n, x, w, wsum) result(c)
        integer(8), intent(in) :: n
        real(dp), intent(in) :: x(3, n), w(n), wsum
        real(dp) :: c(3)
        real(dp) :: cx, cy, cz
        integer(8) :: k
        cx = 0
        cy = 0
        cz = 0
        !$omp simd reduction(+:cx, cy, cz)
        do k = 1, n  ! must vectorise
            cx = cx + w(k) * x(1, k)
            cy = cy + w(k) * x(2, k)
            cz = cz + w(k) * x(3, k)
        end do
        c = [cx, cy, cz] / wsum
    end function weighted_centroid

    ! The reference of a trajectory comparison (rows), centred on its
    ! weighted centroid when frames are centred or superposed, unless the
    ! caller centred both (precentered: center is then moot).
    function prepared_reference(n, a, w, center, superposition, precentered) result(ref)
        integer(8), intent(in) :: n
        real(dp), intent(in) :: a(3, n), w(n)
        logical, intent(in) :: center, superposition, precentered
        type(reference_structure) :: ref
        integer :: i

        ref%centring = (center .or. superposition) .and. .not. precentered
        ref%superposition = superposition
        ref%wsum = sum(w)
        ref%centroid = frame_centroid(ref, n, a, w)
        allocate (ref%centred(n, 3), ref%weighted(n, 3))
        do i = 1, 3
            ref%centred(:, i) = a(i, :) - ref%centroid(i)
            ref%weighted(:, i) = w * ref%centred(:, i)
            ref%sum_wa(i) = sum(ref%weighted(:, i))
        end do
        ref%ga = sum(w * (ref%centred(:, 1)**2 + ref%centred(:, 2)**2 + ref%centred(:, 3)**2))
    end function prepared_reference

    ! The weighted centroid of structure x (rows) when the comparison centres
    ! its structures, else 0.
    pure function frame_centroid(ref, n, x, w) result(c)
        type(reference_structure), intent(in) :: ref
        integer(8), intent(in) :: n
        real(dp), intent(in) :: x(3, n), w(n)
        real(dp) :: c(3)
        c = 0
        if (ref%centring) c = weighted_centroid(n, x, w, ref%wsum)
    end function frame_centroid

    ! Weighted mean squared deviation of frame b from the reference: plain,
    ! centred, or superposed, as the reference was prepared. msd is NaN or
    ! infinite when b holds a NaN or infinity, which is how the trajectory
    ! kernels screen their frames (input_screen.f90) without a pass of their
    ! own. info is LAPACK's (superposition only). b is given as rows (3, n).
    subroutine frame_msd(ref, n, b, w, msd, info)
        type(reference_structure), intent(in) :: ref
        integer(8), intent(in) :: n
        real(dp), intent(in) :: b(3, n), w(n)
        real(dp), intent(out) :: msd
        integer, intent(out) :: info

        info = 0
        if (ref%superposition) then
            call superposed_msd(n, ref, b, w, msd, info)
            return
        end if
        msd = direct_msd(n, ref%centred, b, frame_centroid(ref, n, b, w), w, ref%wsum)
    end subroutine frame_msd

    ! sum w |a_c - (b - cb)|^2 / W, summed directly: the expanded form would
    ! cancel for nearly identical structures.
    pure function direct_msd(n, a_c, b, cb, w, wsum) result(msd)
        integer(8), intent(in) :: n
        real(dp), intent(in) :: a_c(n, 3), b(3, n), cb(3), w(n), wsum
        real(dp) :: msd
        real(dp) :: total, dx, dy, dz
        integer(8) :: k

        total = 0
        !$omp simd reduction(+:total) private(dx, dy, dz)
        do k = 1, n  ! must vectorise
            dx = a_c(k, 1) - (b(1, k) - cb(1))
            dy = a_c(k, 2) - (b(2, k) - cb(2))
            dz = a_c(k, 3) - (b(3, k) - cb(3))
            total = total + w(k) * (dx * dx + dy * dy + dz * dz)
        end do
        msd = total / wsum
    end function direct_msd

    ! Stores a frame's RMSD and adds its screen and LAPACK info to the
    ! trajectory's totals.
    pure subroutine record_frame(msd, frame_info, value, info, non_finite)
        real(dp), intent(in) :: msd
        integer, intent(in) :: frame_info
        real(dp), intent(out) :: value
        integer, intent(inout) :: info
        integer(8), intent(inout) :: non_finite
        if (.not. ieee_is_finite(msd)) non_finite = non_finite + 1
        info = max(info, abs(frame_info))
        value = sqrt(max(msd, 0.0_dp))
    end subroutine record_frame

    ! One pass over the atoms: S and E0 of the structures centred on ca and cb.
    ! The weight multiplies each product, w (a_i b_j), never one factor: for
    ! identical structures S is then exactly symmetric, the key matrix's
    ! first row exactly (trace, 0, 0, 0), the rotation exactly the identity
    ! and the deviation exactly 0, weighted or not.
    pure subroutine pair_sums(n, a, ca, b, cb, w, s, e0)
        integer(8), intent(in) :: n
        real(dp), intent(in) :: a(n, 3), ca(3), b(n, 3), cb(3), w(n)
        real(dp), intent(out) :: s(3, 3), e0
        real(dp) :: ak(3), bk(3)
        integer(8) :: k
        integer :: i
        s = 0
        e0 = 0
        do k = 1, n
            ak = a(k, :) - ca
            bk = b(k, :) - cb
            do i = 1, 3
                s(:, i) = s(:, i) + w(k) * (ak * bk(i))
            end do
            e0 = e0 + w(k) * (sum(ak**2) + sum(bk**2))
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
    ! converged is false when Newton stalls; callers then use LAPACK. slope is
    ! the polynomial's derivative at the last step, for the error estimate.
    pure subroutine qcp_largest_eigenvalue(s, e0, lambda, slope, converged)
        real(dp), intent(in) :: s(3, 3), e0
        real(dp), intent(out) :: lambda, slope
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
        slope = 0
        converged = .false.
        do iteration = 1, NEWTON_MAX_ITERATIONS
            p = ((lambda * lambda + c2) * lambda + c1) * lambda + c0
            dp_dl = (4 * lambda * lambda + 2 * c2) * lambda + c1
            slope = dp_dl
            if (dp_dl == 0) return
            step = p / dp_dl
            lambda = lambda - step
            if (abs(step) <= NEWTON_TOLERANCE * abs(lambda)) then
                converged = .true.
                return
            end if
        end do
    end subroutine qcp_largest_eigenvalue

    ! Estimated rounding error of E0 - lambda from QCP. The n-atom sums carry
    ! a few ulps of the squared sizes they were summed from (size_sum, before
    ! b was centred), and lambda a few ulps of E0**4 over the polynomial's
    ! slope at the root: small when the largest eigenvalue is well separated,
    ! large when it is nearly double (linear molecules), where Newton settles
    ! within sqrt(epsilon) of the root.
    pure function qcp_error_estimate(n, e0, size_sum, slope) result(estimate)
        integer(8), intent(in) :: n
        real(dp), intent(in) :: e0, size_sum, slope
        real(dp) :: estimate, sum_ulps
        estimate = huge(estimate)
        if (abs(slope) == 0) return
        sum_ulps = QCP_ERROR_ULPS * max(1.0_dp, sqrt(n / 64.0_dp))
        estimate = epsilon(e0) * (sum_ulps * size_sum + QCP_ERROR_ULPS * e0 * (e0 / abs(slope)) * e0**2)
    end function qcp_error_estimate

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
        ! Renormalised: LAPACK leaves the norm a few eps from 1, and R is
        ! quadratic in q, so its orthogonality would inherit twice that.
        q = k(:, 4) / norm2(k(:, 4))
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
    ! (rows) onto the prepared reference (centred a_c, with ga = sum w |a_c|^2
    ! and sum_wa = sum w a_c, zero but for rounding), from one pass over b
    ! (frame_sums): its centroid, S and sum w |b|^2 together, because centring
    ! b first would read it twice. b is taken relative to the reference's own
    ! centroid ca, which removes the bulk of any offset from the origin before
    ! anything is squared. QCP is the fast path; refined_msd recomputes from
    ! centred coordinates when Newton stalls or when the estimated rounding
    ! error of 2 (E0 - lambda) is not small beside it (nearly identical
    ! structures, or a nearly double eigenvalue).
    subroutine superposed_msd(n, ref, b, w, msd, info)
        integer(8), intent(in) :: n
        type(reference_structure), intent(in) :: ref
        real(dp), intent(in) :: b(3, n), w(n)
        real(dp), intent(out) :: msd
        integer, intent(out) :: info
        real(dp) :: s(3, 3), sum_wb(3), sum_wbb
        logical :: refine

        info = 0
        call frame_sums(n, ref%weighted, ref%centroid, b, w, s, sum_wb, sum_wbb, &
                        merge(0, 1, ref%centring), ref%simd_level)
        call qcp_msd(ref, s, sum_wb, sum_wbb, n, msd, refine)
        if (refine) call refined_frame_msd(ref, n, b, w, msd, info)
    end subroutine superposed_msd

    ! refined_msd of frame b (rows) against the prepared reference, for the
    ! frames QCP cannot be trusted with. b's centroid afresh (not ca + cb):
    ! identical structures then get bit-identical centred coordinates, the
    ! identity and exactly 0. Precentred frames are not centred: the rotation
    ! is about the origin.
    subroutine refined_frame_msd(ref, n, b, w, msd, info)
        type(reference_structure), intent(in) :: ref
        integer(8), intent(in) :: n
        real(dp), intent(in) :: b(3, n), w(n)
        real(dp), intent(out) :: msd
        integer, intent(out) :: info
        real(dp) :: rotation(3, 3)

        call refined_msd(n, ref%centred, [0.0_dp, 0.0_dp, 0.0_dp], transpose(b), &
                         frame_centroid(ref, n, b, w), w, ref%wsum, msd, rotation, info)
    end subroutine refined_frame_msd

    ! The MSD from a frame's sums (frame_sums), or refine = .true. when QCP's
    ! answer cannot be trusted and refined_msd must recompute it. msd is NaN
    ! when the frame held a NaN or infinity.
    subroutine qcp_msd(ref, s_raw, sum_wb, sum_wbb, n, msd, refine)
        type(reference_structure), intent(in) :: ref
        real(dp), intent(in) :: s_raw(3, 3), sum_wb(3), sum_wbb
        integer(8), intent(in) :: n
        real(dp), intent(out) :: msd
        logical, intent(out) :: refine
        real(dp) :: s(3, 3), cb(3), e0, lambda, slope
        logical :: converged
        integer :: i

        refine = .false.
        ! A NaN or infinity in b makes its weighted sums non-finite (w * inf is
        ! inf, or NaN for w = 0): sum_wbb always, sum_wb unless precentred,
        ! where it is 0; so do squares that overflow. The solvers never see it.
        if (.not. (all(ieee_is_finite(sum_wb)) .and. ieee_is_finite(sum_wbb))) then
            msd = ieee_value(msd, ieee_quiet_nan)
            return
        end if
        cb = sum_wb / ref%wsum  ! relative to ca; 0 for precentred frames
        ! S of the centred pair: sum w a_c (b - cb)^T = S_raw - sum_wa cb^T.
        do i = 1, 3
            s(:, i) = s_raw(:, i) - ref%sum_wa * cb(i)
        end do
        e0 = (ref%ga + sum_wbb - ref%wsum * dot_product(cb, cb)) / 2
        call qcp_largest_eigenvalue(s, e0, lambda, slope, converged)
        if (converged .and. qcp_error_estimate(n, e0, (ref%ga + sum_wbb) / 2, slope) &
            <= QCP_RELATIVE_TOLERANCE * (e0 - lambda)) then
            msd = 2 * (e0 - lambda) / ref%wsum
        else
            refine = .true.
        end if
    end subroutine qcp_msd

    ! frame_msd for a float32 frame b (rows). Superposition takes the frame
    ! as it is (frame_sums_single); everything else, and the refined
    ! fallback, works on the frame widened into wide, a buffer of the caller's
    ! (3n doubles) whose contents are then the frame's.
    subroutine frame_msd_single(ref, n, b, wide, w, msd, info)
        type(reference_structure), intent(in) :: ref
        integer(8), intent(in) :: n
        real(real32), intent(in) :: b(3, n)
        real(dp), intent(inout) :: wide(3, n)
        real(dp), intent(in) :: w(n)
        real(dp), intent(out) :: msd
        integer, intent(out) :: info
        real(dp) :: s(3, 3), sum_wb(3), sum_wbb
        logical :: refine

        info = 0
        if (.not. ref%superposition) then
            wide = real(b, dp)
            call frame_msd(ref, n, wide, w, msd, info)
            return
        end if
        call frame_sums_single(n, ref%weighted, ref%centroid, b, w, s, sum_wb, sum_wbb, wide, &
                               merge(0, 1, ref%centring), ref%simd_level)
        call qcp_msd(ref, s, sum_wb, sum_wbb, n, msd, refine)
        if (refine) then
            wide = real(b, dp)
            call refined_frame_msd(ref, n, wide, w, msd, info)
        end if
    end subroutine frame_msd_single

    ! The same deviation the careful way: sums over centred coordinates, the
    ! rotation from LAPACK (returned too), and the deviation summed directly
    ! over the rotated atoms, so identical structures give exactly 0.
    subroutine refined_msd(n, a, ca, b, cb, w, wsum, msd, rotation, info)
        integer(8), intent(in) :: n
        real(dp), intent(in) :: a(n, 3), ca(3), b(n, 3), cb(3), w(n), wsum
        real(dp), intent(out) :: msd, rotation(3, 3)
        integer, intent(out) :: info
        real(dp) :: s(3, 3), e0, lambda
        integer(8) :: k

        call pair_sums(n, a, ca, b, cb, w, s, e0)
        call optimal_rotation(s, rotation, lambda, info)
        msd = 0
        if (info /= 0) return
        do k = 1, n
            msd = msd + w(k) * sum((a(k, :) - ca - matmul(rotation, b(k, :) - cb))**2)
        end do
        msd = msd / wsum
    end subroutine refined_msd

end module chemlib_superposition
