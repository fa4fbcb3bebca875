"""The storefront: server-rendered, mobile-first shop pages over the other services."""
