"""The only module that imports ``orthanc``: callbacks, REST routes and logging.

Every callback is wrapped so that no exception reaches Orthanc: errors go to
Orthanc's log and the server goes on.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import orthanc

from ohif_plugin.orthanc_api import StatusSender, http_compression_default

try:
    import orjson

    from ohif_plugin import __version__
    from ohif_plugin.assets import AssetFolder
    from ohif_plugin.backfill import Backfill
    from ohif_plugin.cache import InstanceGone, SummaryCache
    from ohif_plugin.configuration import (
        ConfigurationError,
        DataSource,
        Settings,
        parse_settings,
        unknown_keys,
    )
    from ohif_plugin.links import (
        Resource,
        forwarded_query,
        open_study_link,
        requested_study_uids,
    )
    from ohif_plugin.media import document_response
    from ohif_plugin.own_http import InstanceMissing, OwnHttpApi
    from ohif_plugin.preload import PreloadWorker, capacity_from_environment, delay_from_environment
    from ohif_plugin.status import Periodic, PreloadState, metric_values, ohif_version, status_answer
    from ohif_plugin.stored_answer import ATTACHMENT as ANSWER_ATTACHMENT
    from ohif_plugin.studies import ORTHANC_ID
    from ohif_plugin.study_answer import SeriesListing, StudyAnswers, StudyListing
    from ohif_plugin.study_refresh import StudyRefresher
    from ohif_plugin.summary import METADATA_KEY
    from ohif_plugin.viewer import SECURITY_HEADERS, Response, Viewer, explorer_extension

    MISSING_DEPENDENCY: ImportError | None = None
except ImportError as error:  # reported through Orthanc's log by initialize()
    MISSING_DEPENDENCY = error

logger = logging.getLogger("ohif_plugin")

STUDY_ROUTE = "/studies/([ -.0-~]+)/ohif-dicom-json"
DOCUMENT_ROUTE = "/instances/([ -.0-~]+)/ohif-pdf"
VIEWER_ROUTE = "/ohif/([ -~]*)"
"""Printable ASCII only (the study identifier without "/"): orthanc-python 4.0 cannot make a
Python string of a URI that is not UTF-8 (such as /ohif/%ff) and answers 500 before any
callback runs. Unmatched, such a URI gets Orthanc's own 404. Bundle file names are ASCII."""
METRICS_INTERVAL = 10.0
"""Seconds between two pushes of the plugin's metrics (orthanc-python 4.0 cannot pull them)."""


class OrthancLogHandler(logging.Handler):
    """Sends the plugin's log records to Orthanc's own log."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = "OHIF plugin: " + self.format(record)
            if record.levelno >= logging.ERROR:
                orthanc.LogError(message)
            elif record.levelno >= logging.WARNING:
                orthanc.LogWarning(message)
            else:
                orthanc.LogInfo(message)
        except Exception:
            self.handleError(record)


def _error_code(error: Exception) -> int | None:
    code = error.args[0] if error.args else None
    return code if isinstance(code, int) else None


def _is_unknown(error: Exception) -> bool:
    return _error_code(error) in (
        orthanc.ErrorCode.UNKNOWN_RESOURCE,
        orthanc.ErrorCode.INEXISTENT_ITEM,
        orthanc.ErrorCode.INEXISTENT_FILE,
    )


def _instance_gone(instance_id: str, error: Exception) -> bool:
    """Whether ``error`` comes from the instance being deleted meanwhile.

    A deletion that races a read does not always give "unknown resource": the
    file can vanish between Orthanc's lookup and its read. Asking again tells.
    """
    if _is_unknown(error):
        return True
    try:
        orthanc.RestApiGet(f"/instances/{instance_id}/metadata")
    except orthanc.OrthancException as again:
        return _is_unknown(again)
    return False


class OrthancInstanceStore:
    """The :class:`ohif_plugin.cache.InstanceStore` of this Orthanc, over its REST API.

    ``own_http`` replaces a summary where the internal API cannot ("CheckRevisions": true).
    """

    def __init__(self, own_http: OwnHttpApi | None = None) -> None:
        self.own_http = own_http
        self.extended_find: bool | None = None
        """Whether this Orthanc's /tools/find reads a study's metadata at once; None until asked."""

    def study_instances(self, study_id: str) -> list[str] | None:
        listing = self.study_listing(study_id)
        return None if listing is None else listing.instance_ids

    def study_listing(self, study_id: str) -> StudyListing | None:
        """The study's series and instances, and when each last changed.

        From /studies/{id} then /series/{id}: five times cheaper than
        /studies/{id}/instances, which expands every instance. Where /tools/find
        reads a level at once (Orthanc 1.12.5 and later), one call lists the series
        without their main DICOM tags: Orthanc 1.13 crashes (stack overflow) when a
        plugin reads a series whose tags hold a sequence nested 40 levels deep.
        """
        if not ORTHANC_ID.fullmatch(study_id):
            return None
        if self.has_extended_find():
            return self._study_listing_found(study_id)
        try:
            study = orjson.loads(orthanc.RestApiGet(f"/studies/{study_id}"))
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                return None
            raise
        series = []
        for series_id in study.get("Series", []):
            try:
                found = orjson.loads(orthanc.RestApiGet(f"/series/{series_id}"))
            except orthanc.OrthancException as error:
                if _is_unknown(error):
                    continue  # deleted since the study was read
                raise
            series.append(SeriesListing(series_id, str(found.get("LastUpdate", "")), tuple(found.get("Instances", []))))
        return StudyListing(study_id, str(study.get("LastUpdate", "")), tuple(series))

    def _study_listing_found(self, study_id: str) -> StudyListing | None:
        try:
            last_update = bytes(orthanc.RestApiGet(f"/studies/{study_id}/metadata/LastUpdate")).decode()
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                return None
            raise
        series = tuple(
            SeriesListing(
                str(item["ID"]),
                str(item.get("Metadata", {}).get("LastUpdate", "")),
                tuple(str(instance_id) for instance_id in item.get("Instances", [])),
            )
            for item in _find_in_study("Series", study_id, ["Children", "Metadata"])
        )
        return StudyListing(study_id, last_update, series)

    def has_extended_find(self) -> bool:
        """Whether /system says "HasExtendedFind": /tools/find then takes "ParentStudy" and
        "ResponseContent". An older Orthanc ignores both and would answer every resource it has."""
        if self.extended_find is None:
            capabilities = orjson.loads(orthanc.RestApiGet("/system")).get("Capabilities", {})
            self.extended_find = capabilities.get("HasExtendedFind") is True
        return self.extended_find

    def stored_summary(self, instance_id: str) -> bytes | None:
        # The value alone, not ?expand's JSON of every metadata: half the cost. Orthanc
        # answers "unknown resource" both for a missing value and a deleted instance;
        # reading the file then tells which (InstanceGone).
        try:
            return bytes(orthanc.RestApiGet(f"/instances/{instance_id}/metadata/{METADATA_KEY}"))
        except orthanc.OrthancException as error:
            if _instance_gone(instance_id, error):
                return None
            raise

    def stored_summaries(self, study_id: str) -> dict[str, bytes | None] | None:
        """Every instance's 4202 of the study in one /tools/find (Orthanc 1.12.5 and later).

        Six times cheaper than one read per instance on Orthanc 1.12.7.
        """
        if not self.has_extended_find() or not ORTHANC_ID.fullmatch(study_id):
            return None
        try:
            found = _find_in_study("Instance", study_id, ["Metadata"])
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                return {}
            raise
        values = {}
        for instance in found:
            value = instance.get("Metadata", {}).get(str(METADATA_KEY))
            values[str(instance["ID"])] = value.encode() if isinstance(value, str) else None
        return values

    def read_dicom(self, instance_id: str) -> bytes:
        try:
            return bytes(orthanc.GetDicomForInstance(instance_id))
        except orthanc.OrthancException as error:
            if _instance_gone(instance_id, error):
                raise InstanceGone(instance_id) from None
            raise

    def pdf(self, instance_id: str) -> bytes | None:
        """The encapsulated PDF of an instance; None if unknown or not a PDF."""
        if not ORTHANC_ID.fullmatch(instance_id):
            return None
        try:
            return bytes(orthanc.RestApiGet(f"/instances/{instance_id}/pdf"))
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                return None
            raise

    def store_summary(self, instance_id: str, value: bytes) -> None:
        try:
            orthanc.RestApiPut(f"/instances/{instance_id}/metadata/{METADATA_KEY}", value)
            return
        except orthanc.OrthancException as error:
            if _error_code(error) != orthanc.ErrorCode.REVISION or self.own_http is None:
                if _instance_gone(instance_id, error):
                    raise InstanceGone(instance_id) from None
                raise
        try:  # replacing needs If-Match, which only the HTTP server takes
            self.own_http.replace_metadata(f"/instances/{instance_id}", METADATA_KEY, value)
        except InstanceMissing:
            raise InstanceGone(instance_id) from None

    def stored_answer(self, study_id: str) -> bytes | None:
        """The study's stored answer (:mod:`ohif_plugin.stored_answer`), None if it has none."""
        try:
            return bytes(orthanc.RestApiGet(f"/studies/{study_id}/attachments/{ANSWER_ATTACHMENT}/data"))
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                return None
            raise

    def store_answer(self, study_id: str, data: bytes) -> None:
        """Nothing stored for a study deleted meanwhile."""
        try:
            orthanc.RestApiPut(f"/studies/{study_id}/attachments/{ANSWER_ATTACHMENT}", data)
            return
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                return
            if _error_code(error) != orthanc.ErrorCode.REVISION or self.own_http is None:
                raise
        with contextlib.suppress(InstanceMissing):  # replacing needs If-Match, which only the HTTP server takes
            self.own_http.replace_attachment(f"/studies/{study_id}", ANSWER_ATTACHMENT, data)

    def all_studies(self) -> list[str]:
        """Orthanc identifiers of every study, for the backfill."""
        return [str(study_id) for study_id in json.loads(orthanc.RestApiGet("/studies"))]


def _find_in_study(level: str, study_id: str, content: list[str]) -> list[dict[str, Any]]:
    """The study's resources of one level, with ``content`` only, in one /tools/find (ExtendedFind)."""
    query = {"Level": level, "ParentStudy": study_id, "Query": {}, "ResponseContent": content}
    found: list[dict[str, Any]] = orjson.loads(orthanc.RestApiPost("/tools/find", orjson.dumps(query)))
    return found


def lookup_uid(uid: str) -> list[Resource]:
    """The resources whose DICOM UID is ``uid`` (the :data:`ohif_plugin.links.Lookup` of this Orthanc)."""
    answer = json.loads(orthanc.RestApiPost("/tools/lookup", uid))
    return [Resource(str(item.get("Type")), str(item.get("ID"))) for item in answer]


RestHandler = Callable[..., None]


send_status = StatusSender()


def send(output: Any, response: Response) -> None:
    for name, value in response.headers.items():
        output.SetHttpHeader(name, value)
    if response.status == 200:
        output.AnswerBuffer(response.body, response.mime_type)
    elif response.status in (302, 304):
        output.SendHttpStatusCode(response.status)
    else:
        send_status(output, response.status, response.body.decode())


def rest_route(handler: RestHandler) -> RestHandler:
    """Answer GET only, and turn any exception into a logged 500."""

    @functools.wraps(handler)
    def guarded(output: Any, uri: str, **request: Any) -> None:
        try:
            if request.get("method") != "GET":
                output.SendMethodNotAllowed("GET")
                return
            handler(output, uri, **request)
        except Exception:
            logger.exception("Error while answering %s", uri)
            with contextlib.suppress(Exception):  # the answer may have started already
                send_status(output, 500, "Internal error in the OHIF plugin: see Orthanc's log")

    return guarded


REGISTERED: list[Callable[..., None]] = []
"""Every callable handed to Orthanc, kept for the life of the process. orthanc-python 5.0
crashes Orthanc at shutdown (SIGSEGV in _Py_Dealloc, called from OrthancPluginFinalize)
when it releases a REST callback of which it held the last reference."""


def register_rest_route(route: str, handler: RestHandler) -> None:
    guarded = rest_route(handler)
    REGISTERED.append(guarded)
    orthanc.RegisterRestCallback(route, guarded)


def logged(callback: Callable[..., None]) -> Callable[..., None]:
    """Never let an exception out of an Orthanc callback."""

    @functools.wraps(callback)
    def guarded(*args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            logger.exception("Error in %s", callback.__name__)

    return guarded


class Plugin:
    """What the plugin registered, kept together for the callbacks."""

    def __init__(
        self,
        settings: Settings,
        store: OrthancInstanceStore,
        cache: SummaryCache,
        worker: PreloadWorker | None,
        viewer: Viewer | None,
        answers: StudyAnswers,
    ) -> None:
        self.settings = settings
        self.store = store
        self.cache = cache
        self.answers = answers
        self.worker = worker
        self.viewer = viewer
        self.unavailable = "" if viewer is not None else "the OHIF bundle is missing"
        """Why the viewer cannot be served, or empty."""
        self.backfill: Backfill | None = None
        self.refresher: StudyRefresher | None = None
        self.compression_by_default = False
        """The configuration does not set "HttpCompressionEnabled": Orthanc's default, known once started."""
        self.started = time.monotonic()
        self.ohif_version = ohif_version(settings.bundle_folder)
        self.metrics = Periodic(METRICS_INTERVAL, self.publish_metrics, _log_metrics_error)

    def serve_viewer(self, output: Any, uri: str, **request: Any) -> None:
        if self.viewer is None or self.unavailable:
            message = f"The OHIF viewer is unavailable: {self.unavailable}. See Orthanc's log."
            send(output, Response(503, message.encode(), headers=dict(SECURITY_HEADERS)))
            return
        path = (request.get("groups") or [""])[0]
        arguments = request.get("get") or {}
        uids = requested_study_uids(path, arguments) if self.settings.data_source is DataSource.DICOM_JSON else []
        if uids:
            link = open_study_link(uids, arguments, lookup_uid)
            for note in link.notes:
                logger.info("Link to %s: %s", path, note)
            send(output, link.response())
            return
        headers = request.get("headers", {})
        send(output, self.viewer.answer(path, headers.get("if-none-match"), headers.get("accept-encoding")))

    def serve_study(self, output: Any, uri: str, **request: Any) -> None:
        headers = request.get("headers", {})
        answer = self.answers.answer(
            request["groups"][0],
            forwarded_query(request.get("get") or {}),
            headers.get("if-none-match"),
            headers.get("accept-encoding"),
        )
        send(output, answer)

    def status(self) -> dict[str, Any]:
        worker = self.worker
        preload = PreloadState(True, worker.pending(), worker.dropped) if worker else PreloadState(False, 0, 0)
        return status_answer(
            plugin_version=__version__,
            ohif=self.ohif_version,
            data_source=self.settings.data_source.value,
            seconds_since_start=time.monotonic() - self.started,
            counters=self.cache.counters,
            preload=preload,
            refresh_pending=self.refresher.pending() if self.refresher is not None else 0,
            backfill=self.backfill.status() if self.backfill is not None else None,
        )

    def serve_status(self, output: Any, uri: str, **request: Any) -> None:
        status = self.status()
        self.publish_metrics(status)
        output.AnswerBuffer(orjson.dumps(status), "application/json")

    def publish_metrics(self, status: dict[str, Any] | None = None) -> None:
        for name, value in metric_values(status if status is not None else self.status()):
            orthanc.SetMetricsValue(name, value, orthanc.MetricsType.DEFAULT)

    def serve_document(self, output: Any, uri: str, **request: Any) -> None:
        """The PDF of an instance, with the headers the cross-origin isolated viewer needs to embed it."""
        document = self.store.pdf(request["groups"][0])
        if document is None:
            send_status(output, 404, "Unknown instance, or not an encapsulated PDF")
            return
        send(output, document_response(document))

    def preload(self, instance_id: str) -> None:
        """Queue a new instance for its summary, never blocking.

        Fed by the on-change callback (NEW_INSTANCE), which orthanc-python runs
        on its own thread: the on-stored-instance callback would make each
        upload wait for the GIL. The worker reads the file itself.
        """
        assert self.worker is not None
        dropped = not self.worker.offer(instance_id)
        if dropped and (self.worker.dropped in (1, 10, 100) or self.worker.dropped % 1000 == 0):
            logger.warning(
                "Preload queue full: %d instance(s) will get their summary on first display",
                self.worker.dropped,
            )

    def on_change(self, change_type: int, level: int, resource_id: str) -> None:
        if change_type == orthanc.ChangeType.NEW_INSTANCE and self.worker is not None:
            self.preload(resource_id)
            return
        if change_type == orthanc.ChangeType.STABLE_STUDY and self.worker is not None and self.refresher is not None:
            # Like DICOMweb's cache at a stable series: the first display is a stored answer too.
            self.refresher.check(resource_id)
            return
        dicom_web = self.settings.data_source is DataSource.DICOM_WEB
        if change_type == orthanc.ChangeType.ORTHANC_STARTED and dicom_web:
            self.check_dicomweb_plugin()
        if change_type == orthanc.ChangeType.ORTHANC_STARTED and self.compression_by_default:
            version = str(json.loads(orthanc.RestApiGet("/system")).get("Version", ""))
            self.answers.http_compression_enabled = http_compression_default(version)
        if change_type == orthanc.ChangeType.ORTHANC_STARTED:
            self.metrics.start()
            if self.backfill is not None:
                self.backfill.start()
        stopped = change_type == orthanc.ChangeType.ORTHANC_STOPPED
        if stopped and self.backfill is not None and not self.backfill.stop(timeout=10):
            logger.warning("The backfill did not stop within 10 s")
        if stopped:
            self.metrics.stop()
        if stopped and self.worker is not None and not self.worker.stop(timeout=10):
            logger.warning("The preload worker did not stop within 10 s")
        if stopped and self.refresher is not None and not self.refresher.stop(timeout=10):
            logger.warning("The study answers' refresh did not stop within 10 s")

    def check_dicomweb_plugin(self) -> None:
        """With the dicom-web source, the DICOMweb plugin must answer; else no viewer."""
        try:
            plugin = json.loads(orthanc.RestApiGet("/plugins/dicom-web"))
        except orthanc.OrthancException:
            plugin = {}
        if plugin.get("ID") != "dicom-web":
            self.unavailable = (
                '"OHIF"."DataSource" is "dicom-web", but the DICOMweb plugin is not loaded '
                "(install orthanc-dicomweb and add it to \"Plugins\")"
            )
            logger.error("%s; the viewer is not served", self.unavailable)


def _log_metrics_error(error: Exception) -> None:
    logger.warning("Publishing the metrics failed: %s: %s", type(error).__name__, error)


def _install_logging() -> None:
    handler = OrthancLogHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("ohif_plugin")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def initialize() -> Plugin | None:
    """Read the configuration and register everything; on error register nothing."""
    _install_logging()
    if MISSING_DEPENDENCY is not None:
        logger.error(
            "cannot import %s; create the virtual environment with scripts/install.sh "
            "or put its site-packages on PYTHONPATH. The plugin is not loaded.",
            MISSING_DEPENDENCY.name,
        )
        return None

    configuration = json.loads(orthanc.GetConfiguration())
    try:
        settings = parse_settings(configuration)
    except ConfigurationError as error:
        logger.error("configuration error: %s. The plugin is not loaded.", error)
        return None
    for key in unknown_keys(configuration):
        logger.warning('unknown key "OHIF"."%s" is ignored', key)

    own_http = OwnHttpApi.from_configuration(configuration, orthanc.GenerateRestApiAuthorizationToken())
    store = OrthancInstanceStore(own_http)
    cache = SummaryCache(store)
    compresses = configuration.get("HttpCompressionEnabled")
    refresher = StudyRefresher(store.study_listing, cache.check, store, cache.counters)
    refresher.start()
    answers = StudyAnswers(
        store.study_listing, cache.assemble, compresses is True, counters=cache.counters, keeper=refresher
    )
    worker = None
    if settings.preloads:
        worker = PreloadWorker(
            cache.preload,
            lambda instance_id, error: logger.warning(
                "Preloading instance %s failed (%s); it gets its summary on first display",
                instance_id,
                error,
            ),
            capacity=capacity_from_environment(os.environ),
            delay=delay_from_environment(os.environ),
        )
        worker.start()
    viewer = None
    if (settings.bundle_folder / "index.html").is_file():
        viewer = Viewer(settings, AssetFolder(settings.bundle_folder))
    else:
        logger.error(
            "the OHIF bundle is missing from %s: run scripts/build_ohif_dist.sh. "
            "The study JSON is served, the viewer is not.",
            settings.bundle_folder,
        )
    plugin = Plugin(settings, store, cache, worker, viewer, answers)
    plugin.refresher = refresher
    plugin.compression_by_default = compresses is None
    if settings.backfills:
        plugin.backfill = Backfill(cache, store, store.all_studies)

    register_rest_route(STUDY_ROUTE, plugin.serve_study)
    register_rest_route(DOCUMENT_ROUTE, plugin.serve_document)
    register_rest_route("/ohif", plugin.serve_viewer)
    # Before the viewer route: of two matching routes, the one registered first answers.
    register_rest_route("/ohif/api/status", plugin.serve_status)
    register_rest_route(VIEWER_ROUTE, plugin.serve_viewer)
    on_change = logged(plugin.on_change)
    REGISTERED.append(on_change)
    orthanc.RegisterOnChangeCallback(on_change)
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
    return plugin
