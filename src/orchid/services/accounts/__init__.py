"""Accounts: customers, credentials, sessions, SMS sign-in and delivery addresses.

`service.AccountsService` is the interface other code calls; `deps` gives routes `CurrentUser`
and `StaffUser`; `api.router` serves /api/v1/accounts.
"""
