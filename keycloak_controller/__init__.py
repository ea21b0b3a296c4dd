"""keycloak-controller: a Kubernetes operator that manages Keycloak from Git."""

__version__ = "0.1.0"
