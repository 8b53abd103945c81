"""The only module that imports ``orthanc``: callbacks, REST routes and logging.

Every callback is wrapped so that no exception reaches Orthanc: errors go to
Orthanc's log and the server goes on.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import orthanc

try:
    import orjson

    from ohif_plugin import __version__
    from ohif_plugin.assets import AssetFolder
    from ohif_plugin.cache import InstanceGone, SummaryCache
    from ohif_plugin.configuration import (
        ConfigurationError,
        DataSource,
        Settings,
        parse_settings,
        unknown_keys,
    )
    from ohif_plugin.preload import PreloadItem, PreloadWorker
    from ohif_plugin.study_answer import SeriesListing, StudyAnswers, StudyListing, study_query
    from ohif_plugin.summary import METADATA_KEY
    from ohif_plugin.viewer import SECURITY_HEADERS, Response, Viewer, explorer_extension

    MISSING_DEPENDENCY: ImportError | None = None
except ImportError as error:  # reported through Orthanc's log by initialize()
    MISSING_DEPENDENCY = error

logger = logging.getLogger("ohif_plugin")

ORTHANC_ID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{8}){4}")


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


class OrthancInstanceStore:
    """The :class:`ohif_plugin.cache.InstanceStore` of this Orthanc, over its REST API."""

    def study_instances(self, study_id: str) -> list[str] | None:
        listing = self.study_listing(study_id)
        return None if listing is None else listing.instance_ids

    def study_listing(self, study_id: str) -> StudyListing | None:
        """The study's series and instances, from /studies/{id} then /series/{id}.

        Five times cheaper than /studies/{id}/instances, which expands every
        instance; the instances of a series come in the same order.
        """
        if not ORTHANC_ID.fullmatch(study_id):
            return None
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

    def stored_summary(self, instance_id: str) -> bytes | None:
        # The value alone, not ?expand's JSON of every metadata: half the cost. Orthanc
        # answers "unknown resource" both for a missing value and a deleted instance;
        # reading the file then tells which (InstanceGone).
        try:
            return bytes(orthanc.RestApiGet(f"/instances/{instance_id}/metadata/{METADATA_KEY}"))
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                return None
            raise

    def read_dicom(self, instance_id: str) -> bytes:
        try:
            return bytes(orthanc.GetDicomForInstance(instance_id))
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                raise InstanceGone(instance_id) from None
            raise

    def store_summary(self, instance_id: str, value: bytes) -> None:
        try:
            orthanc.RestApiPut(f"/instances/{instance_id}/metadata/{METADATA_KEY}", value)
        except orthanc.OrthancException as error:
            if _is_unknown(error):
                raise InstanceGone(instance_id) from None
            raise


RestHandler = Callable[..., None]


def send_status(output: Any, status: int, message: str) -> None:
    # orthanc-python 4.0 takes the body as str, followed by its size in bytes.
    output.SendHttpStatus(status, message, len(message.encode()))


def send(output: Any, response: Response) -> None:
    for name, value in response.headers.items():
        output.SetHttpHeader(name, value)
    if response.status == 200:
        output.AnswerBuffer(response.body, response.mime_type)
    elif response.status == 304:
        output.SendHttpStatusCode(304)
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
        cache: SummaryCache,
        worker: PreloadWorker | None,
        viewer: Viewer | None,
        answers: StudyAnswers,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.answers = answers
        self.worker = worker
        self.viewer = viewer
        self.unavailable = "" if viewer is not None else "the OHIF bundle is missing"
        """Why the viewer cannot be served, or empty."""

    def serve_viewer(self, output: Any, uri: str, **request: Any) -> None:
        if self.viewer is None or self.unavailable:
            message = f"The OHIF viewer is unavailable: {self.unavailable}. See Orthanc's log."
            send(output, Response(503, message.encode(), headers=dict(SECURITY_HEADERS)))
            return
        groups = request.get("groups") or [""]
        headers = request.get("headers", {})
        send(output, self.viewer.answer(groups[0], headers.get("if-none-match"), headers.get("accept-encoding")))

    def serve_study(self, output: Any, uri: str, **request: Any) -> None:
        headers = request.get("headers", {})
        answer = self.answers.answer(
            request["groups"][0],
            study_query(request.get("get") or {}),
            headers.get("if-none-match"),
            headers.get("accept-encoding"),
        )
        send(output, answer)

    def preload(self, instance_id: str) -> None:
        """Queue a new instance for its summary, never blocking.

        Fed by the on-change callback (NEW_INSTANCE), which orthanc-python runs
        on its own thread: the on-stored-instance callback would make each
        upload wait for the GIL. The worker reads the file itself.
        """
        assert self.worker is not None
        dropped = not self.worker.offer(PreloadItem(instance_id, None))
        if dropped and (self.worker.dropped in (1, 10, 100) or self.worker.dropped % 1000 == 0):
            logger.warning(
                "Preload queue full: %d instance(s) will get their summary on first display",
                self.worker.dropped,
            )

    def on_change(self, change_type: int, level: int, resource_id: str) -> None:
        if change_type == orthanc.ChangeType.NEW_INSTANCE and self.worker is not None:
            self.preload(resource_id)
            return
        dicom_web = self.settings.data_source is DataSource.DICOM_WEB
        if change_type == orthanc.ChangeType.ORTHANC_STARTED and dicom_web:
            self.check_dicomweb_plugin()
        stopped = change_type == orthanc.ChangeType.ORTHANC_STOPPED
        if stopped and self.worker is not None and not self.worker.stop(timeout=10):
            logger.warning("The preload worker did not stop within 10 s")

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

    store = OrthancInstanceStore()
    cache = SummaryCache(store)
    compresses = configuration.get("HttpCompressionEnabled", True) is True  # Orthanc's default is true
    answers = StudyAnswers(store.study_listing, cache.assemble, compresses)
    worker = None
    if settings.preloads:
        worker = PreloadWorker(
            cache.preload,
            lambda item, error: logger.warning(
                "Preloading instance %s failed (%s); it gets its summary on first display",
                item.instance_id,
                error,
            ),
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
    plugin = Plugin(settings, cache, worker, viewer, answers)

    orthanc.RegisterRestCallback("/studies/([^/]+)/ohif-dicom-json", rest_route(plugin.serve_study))
    orthanc.RegisterRestCallback("/ohif", rest_route(plugin.serve_viewer))
    orthanc.RegisterRestCallback("/ohif/(.*)", rest_route(plugin.serve_viewer))
    orthanc.RegisterOnChangeCallback(logged(plugin.on_change))
    orthanc.ExtendOrthancExplorer(explorer_extension(settings))
    orthanc.SetDescription("OHIF viewer, served by Orthanc (Python plugin)")
    logger.warning(
        "version %s loaded: data source %s, router basename %s, preload %s",
        __version__,
        settings.data_source.value,
        settings.router_basename,
        "on" if settings.preloads else "off",
    )
    return plugin
