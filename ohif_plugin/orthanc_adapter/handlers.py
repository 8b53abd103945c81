"""The plugin's REST routes: the viewer, the study JSON, documents and the status."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import orjson
import orthanc

from ohif_plugin import __version__
from ohif_plugin.background.answer_keeper import AnswerKeeper
from ohif_plugin.background.backfill import Backfill
from ohif_plugin.background.preload import PreloadWorker
from ohif_plugin.configuration import DataSource, Settings
from ohif_plugin.orthanc_adapter.compatibility import http_compression_default
from ohif_plugin.orthanc_adapter.instance_store import OrthancInstanceStore, lookup_uid
from ohif_plugin.orthanc_adapter.routes import send
from ohif_plugin.responses import SECURITY_HEADERS, Response
from ohif_plugin.study_json.counters import Counters
from ohif_plugin.study_json.endpoint import StudyAnswers
from ohif_plugin.web.documents import document_response
from ohif_plugin.web.links import forwarded_query, open_study_link, requested_study_uids
from ohif_plugin.web.saving import save_target
from ohif_plugin.web.status import PreloadState, metric_values, ohif_version, status_answer
from ohif_plugin.web.viewer import Viewer

logger = logging.getLogger(__name__)


class RestHandlers:
    """What the routes answer, with what they need of the rest of the plugin."""

    def __init__(
        self,
        settings: Settings,
        store: OrthancInstanceStore,
        answers: StudyAnswers,
        viewer: Viewer | None,
        counters: Counters,
        *,
        keeper: AnswerKeeper | None = None,
        worker: PreloadWorker | None = None,
        backfill: Backfill | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.answers = answers
        self.viewer = viewer
        self.counters = counters
        self.keeper = keeper
        self.worker = worker
        self.backfill = backfill
        self.unavailable = "" if viewer is not None else "the OHIF bundle is missing"
        """Why the viewer cannot be served, or empty."""
        self.started = time.monotonic()
        self.ohif_version = ohif_version(settings.bundle_folder)

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

    def serve_document(self, output: Any, uri: str, **request: Any) -> None:
        """The PDF of an instance, with the headers the cross-origin isolated viewer needs to embed it."""
        send(output, document_response(self.store.pdf(request["groups"][0])))

    def serve_status(self, output: Any, uri: str, **request: Any) -> None:
        status = self.status()
        self.publish_metrics(status)
        output.AnswerBuffer(orjson.dumps(status), "application/json")

    def status(self) -> dict[str, Any]:
        worker = self.worker
        preload = PreloadState(False, 0, 0)
        if worker is not None and self.settings.preloads:
            preload = PreloadState(True, worker.pending(), worker.dropped)
        return status_answer(
            plugin_version=__version__,
            ohif=self.ohif_version,
            data_source=self.settings.data_source.value,
            seconds_since_start=time.monotonic() - self.started,
            counters=self.counters,
            preload=preload,
            refresh_pending=self.keeper.pending() if self.keeper is not None else 0,
            backfill=self.backfill.status() if self.backfill is not None else None,
        )

    def publish_metrics(self, status: dict[str, Any] | None = None) -> None:
        for name, value in metric_values(status if status is not None else self.status()):
            orthanc.SetMetricsValue(name, value, orthanc.MetricsType.DEFAULT)

    def check_dicomweb_plugin(self) -> None:
        """With the dicom-web source, the DICOMweb plugin must answer; else no viewer."""
        if not dicomweb_plugin_loaded():
            self.unavailable = (
                '"OHIF"."DataSource" is "dicom-web", but the DICOMweb plugin is not loaded '
                "(install orthanc-dicomweb and add it to \"Plugins\")"
            )
            logger.error("%s; the viewer is not served", self.unavailable)

    def decide_saving(self) -> None:
        """Where the viewer saves, once every plugin is loaded and the DICOMweb plugin's presence is known."""
        if self.viewer is None:
            return
        target = save_target(self.settings, dicomweb_plugin_loaded())
        self.viewer.save_to(target)
        if target.stow_root:
            logger.info("The viewer saves reports and segmentations through STOW-RS to %s", target.stow_root)
        elif self.settings.saving:
            logger.warning("The viewer cannot save reports and segmentations: %s", target.reason)
        else:
            logger.info("The viewer does not save reports and segmentations: %s", target.reason)

    def follow_compression_default(self) -> None:
        """The configuration does not set "HttpCompressionEnabled": Orthanc's default, read off its version."""
        version = str(json.loads(orthanc.RestApiGet("/system")).get("Version", ""))
        self.answers.http_compression_enabled = http_compression_default(version)


def dicomweb_plugin_loaded() -> bool:
    try:
        plugin = json.loads(orthanc.RestApiGet("/plugins/dicom-web"))
    except orthanc.OrthancException:
        return False
    return isinstance(plugin, dict) and plugin.get("ID") == "dicom-web"
