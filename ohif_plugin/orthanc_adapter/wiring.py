"""The composition root: read the configuration, build the plugin's parts, register them with Orthanc."""

from __future__ import annotations

import json
import logging

import orthanc

from ohif_plugin import __version__
from ohif_plugin.background.answer_keeper import AnswerKeeper
from ohif_plugin.background.backfill import Backfill
from ohif_plugin.background.periodic import Periodic
from ohif_plugin.background.preload import DEFAULT_CAPACITY, PreloadWorker
from ohif_plugin.configuration import ConfigurationError, DataSource, Settings, parse_settings, unknown_keys
from ohif_plugin.orthanc_adapter.changes import (
    ChangeEvents,
    Lifecycle,
    lifecycle_table,
    preload_table,
    repair_table,
    unless_echo,
)
from ohif_plugin.orthanc_adapter.handlers import RestHandlers
from ohif_plugin.orthanc_adapter.instance_store import OrthancInstanceStore
from ohif_plugin.orthanc_adapter.own_writes import OwnWrites
from ohif_plugin.orthanc_adapter.revisions import RevisionWriter
from ohif_plugin.orthanc_adapter.routes import (
    DOCUMENT_ROUTE,
    STATUS_ROUTE,
    STUDY_ROUTE,
    VIEWER_ROOT_ROUTE,
    VIEWER_ROUTE,
    register_on_change,
    register_rest_route,
)
from ohif_plugin.study_json.counters import Counters
from ohif_plugin.study_json.endpoint import StudyAnswers
from ohif_plugin.study_json.summary_cache import InstanceGone, SummaryCache
from ohif_plugin.web.assets import AssetFolder
from ohif_plugin.web.explorer import explorer_extension
from ohif_plugin.web.saving import save_target
from ohif_plugin.web.viewer import Viewer

logger = logging.getLogger(__name__)

PRELOAD_CAPACITY = DEFAULT_CAPACITY
METRICS_INTERVAL = 10.0
"""Seconds between two pushes of the plugin's metrics (orthanc-python 4.0 cannot pull them)."""


def initialize() -> RestHandlers | None:
    """Read the configuration and register everything; on a configuration error register nothing."""
    configuration = json.loads(orthanc.GetConfiguration())
    try:
        settings = parse_settings(configuration)
    except ConfigurationError as error:
        logger.error("configuration error: %s. The plugin is not loaded.", error)
        return None
    for key in unknown_keys(configuration):
        logger.warning('unknown key "OHIF"."%s" is ignored', key)

    revisions = RevisionWriter.from_configuration(configuration, orthanc.GenerateRestApiAuthorizationToken())
    own_writes = OwnWrites()
    store = OrthancInstanceStore(revisions, own_writes, check_revisions=configuration.get("CheckRevisions") is True)
    counters = Counters()
    cache = SummaryCache(store, counters)
    keeper = AnswerKeeper(store.study_listing, cache.prepare, store)
    compresses = configuration.get("HttpCompressionEnabled")
    answers = StudyAnswers(store.study_listing, cache.assemble, compresses is True, counters=counters, keeper=keeper)
    worker = (
        PreloadWorker(cache.preload, _preload_failed, repair=cache.repair, capacity=PRELOAD_CAPACITY)
        if settings.uses_summaries
        else None
    )
    backfill = Backfill(cache, store, store.all_studies) if settings.backfills else None
    handlers = RestHandlers(
        settings, store, answers, _viewer(settings), counters, keeper=keeper, worker=worker, backfill=backfill
    )
    metrics = Periodic("ohif-metrics", METRICS_INTERVAL, handlers.publish_metrics, _metrics_failed)

    on_started = [handlers.decide_saving]
    if settings.data_source is DataSource.DICOM_WEB:
        on_started.append(handlers.check_dicomweb_plugin)
    if compresses is None:
        on_started.append(handlers.follow_compression_default)
    threads = [thread for thread in (keeper, worker, metrics, backfill) if thread is not None]
    lifecycle = Lifecycle(threads, on_started)
    table = lifecycle_table(orthanc, lifecycle)
    if worker is not None:
        # A summary deleted or overwritten through the REST API is computed again.
        table |= repair_table(orthanc, unless_echo(own_writes, worker.offer_repair))
    if worker is not None and settings.preloads:
        # Like DICOMweb's cache at a stable series: a stable study's first display is a stored answer.
        table |= preload_table(orthanc, new_instance=worker.offer, stable_study=keeper.prepare)

    register_rest_route(STUDY_ROUTE, handlers.serve_study)
    register_rest_route(DOCUMENT_ROUTE, handlers.serve_document)
    register_rest_route(VIEWER_ROOT_ROUTE, handlers.serve_viewer)
    # Before the viewer route: of two matching routes, the one registered first answers.
    register_rest_route(STATUS_ROUTE, handlers.serve_status)
    register_rest_route(VIEWER_ROUTE, handlers.serve_viewer)
    register_on_change(ChangeEvents(table))
    orthanc.ExtendOrthancExplorer(explorer_extension(settings))
    orthanc.SetDescription("OHIF viewer, served by Orthanc (Python plugin)")
    logger.warning(
        "version %s loaded: data source %s, router basename %s, preload %s%s",
        __version__,
        settings.data_source.value,
        settings.router_basename,
        "on" if settings.preloads else "off",
        ", backfill on" if settings.backfills else "",
    )
    return handlers


def _viewer(settings: Settings) -> Viewer | None:
    if (settings.bundle_folder / "index.html").is_file():
        # Saving is decided once Orthanc has started (RestHandlers.decide_saving); nothing is served before.
        return Viewer(settings, AssetFolder(settings.bundle_folder), save_target(settings, False))
    logger.error(
        "the OHIF bundle is missing from %s: run scripts/build_ohif_dist.sh. "
        "The study JSON is served, the viewer is not.",
        settings.bundle_folder,
    )
    return None


def _preload_failed(instance_id: str, error: BaseException) -> None:
    if isinstance(error, InstanceGone):
        logger.info("Instance %s was deleted before its summary was made", instance_id)
        return
    logger.warning("Preloading instance %s failed (%s); it gets its summary on first display", instance_id, error)


def _metrics_failed(error: Exception) -> None:
    logger.warning("Publishing the metrics failed: %s: %s", type(error).__name__, error)
