"""`keycloak-controller export`: an existing realm as the manifests that describe it.

The inverse of the controllers' plan modules, one module per part of the realm;
reads only, never a secret value. See docs/adopting.md.
"""
