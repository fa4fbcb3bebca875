"""Accounts domain errors, each with a stable code.

    Unauthorized   ├── NotAuthenticated       401 not_authenticated
                   ├── InvalidCredentials     401 invalid_credentials
                   ├── OtpInvalid             401 otp_invalid        (data: attempts_left)
                   └── OtpExpired             401 otp_expired
    RateLimited    └── OtpAttemptsExceeded    429 otp_attempts_exceeded
    Forbidden      ├── StaffOnly              403 staff_only
                   ├── AdminOnly              403 admin_only
                   ├── OwnRole                403 own_role
                   └── OwnErasure             403 own_erasure
    NotFound       ├── CustomerNotFound       404 customer_not_found
                   └── AddressNotFound        404 address_not_found
    Conflict       ├── EmailTaken             409 email_taken
                   └── AddressLimit           409 address_limit      (data: max_addresses)
    Unavailable    └── SmsUnavailable         503 sms_unavailable
"""

from __future__ import annotations

from orchid.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)


class NotAuthenticated(Unauthorized):
    """No session, or one that expired or was revoked."""

    code, title = "not_authenticated", "Authentication required"


class InvalidCredentials(Unauthorized):
    """Email or password wrong; deliberately never says which."""

    code, title = "invalid_credentials", "Invalid credentials"


class OtpInvalid(Unauthorized):
    """The one-time code does not match."""

    code, title = "otp_invalid", "Invalid code"


class OtpExpired(Unauthorized):
    """No live one-time code for this phone: never sent, used, or expired."""

    code, title = "otp_expired", "Code expired"


class OtpAttemptsExceeded(RateLimited):
    """Too many wrong codes: this code is burnt; request a new one after `retry_after`."""

    code, title = "otp_attempts_exceeded", "Too many wrong codes"


class StaffOnly(Forbidden):
    """The route is for staff."""

    code, title = "staff_only", "Staff only"


class AdminOnly(Forbidden):
    """The route is for admins."""

    code, title = "admin_only", "Admins only"


class OwnRole(Forbidden):
    """Admins may not change their own role (no self-lockout, no self-promotion)."""

    code, title = "own_role", "Cannot change your own role"


class OwnErasure(Forbidden):
    """Admins may not erase their own account (another admin does, on the record)."""

    code, title = "own_erasure", "Cannot erase your own account"


class CustomerNotFound(NotFound):
    """No customer has this public id."""

    code, title = "customer_not_found", "Customer not found"


class AddressNotFound(NotFound):
    """No address with this id belongs to the caller."""

    code, title = "address_not_found", "Address not found"


class EmailTaken(Conflict):
    """An account with this email exists."""

    code, title = "email_taken", "Email already registered"


class AddressLimit(Conflict):
    """The customer already has the maximum number of addresses."""

    code, title = "address_limit", "Too many addresses"


class SmsUnavailable(Unavailable):
    """The SMS gateway could not take the message."""

    code, title = "sms_unavailable", "SMS unavailable"
