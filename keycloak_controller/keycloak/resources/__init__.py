"""Typed Admin API resources, one module per area; KeycloakAdmin composes them."""
