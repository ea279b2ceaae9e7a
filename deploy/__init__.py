"""Deployment companions: nginx template, compose file, Kubernetes manifests, and a loopback launcher."""
