"""keycloak-controller: a Kubernetes operator that manages Keycloak from Git."""

__version__ = "0.1.0"
# Sent to the apiserver and Keycloak; the apiserver names managedFields entries after it.
USER_AGENT = f"keycloak-controller/{__version__}"
