"""Build time, run by ``scripts/build_ohif_dist.sh``: never imported by the plugin.

- :mod:`~ohif_plugin.build.bundle`: an official OHIF build rewritten to work under any path prefix;
- :mod:`~ohif_plugin.build.precompress`: its files' compressed siblings.
"""
