"""Work done off the request and ingestion paths, each on one low-priority thread.

- :mod:`~ohif_plugin.background.thread`: the shape they share (start, stop, priority);
- :mod:`~ohif_plugin.background.preload`: new instances' summaries, from a bounded queue;
- :mod:`~ohif_plugin.background.backfill`: one paced pass over the studies stored before the plugin;
- :mod:`~ohif_plugin.background.answer_keeper`: study answers stored and checked;
- :mod:`~ohif_plugin.background.periodic`: the metrics' push.
"""
