/*
 * The OHIF extension of the OHIF plugin for Orthanc: OHIF's own dicom-json and
 * DICOMweb data sources, each with a store that saves into Orthanc.
 *
 * OHIF saves a report (SR) or a segmentation (SEG, RTSTRUCT) through the
 * active data source's store.dicom. The dicom-json source's store only logs a
 * warning, so OHIF would tell the user "saved successfully" with nothing sent.
 * Here the store is one of two things, as the plugin's app-config.js says in
 * the data source's "orthancSaving":
 *   - { stowRoot }: STOW-RS to that DICOMweb root, through OHIF's own DICOMweb
 *     store (it writes the DICOM file), carrying the page's "token" argument
 *     like every other URL of the viewer, and failing loudly when the server
 *     refuses any of it;
 *   - { unavailable }: an error with that sentence, which OHIF shows in place
 *     of its success message.
 * Everything else is OHIF's data source, untouched.
 */

const EXTENSION_ID = "ohif-plugin-for-orthanc";
const OHIF_SOURCES = "@ohif/extension-default.dataSourcesModule.";
const FAILED_SOP_SEQUENCE = "00081198";
const TOKEN_ARGUMENTS = ["token"];
/* Read when OHIF loads the extension: OHIF's router later drops arguments it does not know. */
const PAGE_ARGUMENTS = new URLSearchParams(window.location.search);

function withToken(url) {
  const target = new URL(url, document.baseURI);
  for (const name of TOKEN_ARGUMENTS) {
    if (PAGE_ARGUMENTS.has(name) && !target.searchParams.has(name)) {
      target.searchParams.set(name, PAGE_ARGUMENTS.get(name));
    }
  }
  return target.href;
}

/* The request OHIF's DICOMweb client sends the STOW with: the same, with the page's token. */
class StowRequest extends XMLHttpRequest {
  open(method, url, ...rest) {
    return super.open(method, withToken(url), ...rest);
  }
}

function failedInstances(request) {
  if (typeof request.response !== "string" || !request.response) {
    return 0;
  }
  try {
    const failed = JSON.parse(request.response)[FAILED_SOP_SEQUENCE];
    return failed && Array.isArray(failed.Value) ? failed.Value.length : 0;
  } catch (error) {
    return 0;
  }
}

function refusal(status) {
  if (status === 401 || status === 403) {
    return `Not saved: the server refused it (HTTP ${status}). You may not be allowed to store here, or your session has expired.`;
  }
  if (status === 0) {
    return "Not saved: the server could not be reached.";
  }
  return `Not saved: the server answered HTTP ${status}.`;
}

function stowStore({ stowRoot }, servicesManager, extensionManager) {
  const dicomWeb = extensionManager.getModuleEntry(OHIF_SOURCES + "dicomweb").createDataSource(
    { name: "orthanc-stow", wadoRoot: stowRoot, qidoRoot: stowRoot, wadoUriRoot: stowRoot },
    servicesManager,
    extensionManager
  );
  let initialized = false;
  return {
    dicom: async (dataset, request, dicomDict) => {
      if (!initialized) {
        dicomWeb.initialize({ params: {}, query: new URLSearchParams() });
        initialized = true;
      }
      const stow = new StowRequest();
      try {
        await dicomWeb.store.dicom(dataset, stow, dicomDict);
      } catch (error) {
        throw new Error(refusal(stow.status));
      }
      if (stow.status !== 200 || failedInstances(stow) > 0) {
        throw new Error(`Not saved: the server did not store it (HTTP ${stow.status}). See the server's log.`);
      }
    },
  };
}

function unavailableStore({ unavailable }) {
  return {
    dicom: async () => {
      throw new Error(unavailable || "Saving is not available on this server.");
    },
  };
}

function sourceThatSaves(name) {
  return (configuration, servicesManager, extensionManager) => {
    const { orthancSaving = {}, ...ohifConfiguration } = configuration;
    const source = extensionManager
      .getModuleEntry(OHIF_SOURCES + name)
      .createDataSource(ohifConfiguration, servicesManager, extensionManager);
    const store = orthancSaving.stowRoot
      ? stowStore(orthancSaving, servicesManager, extensionManager)
      : unavailableStore(orthancSaving);
    return { ...source, store };
  };
}

export default {
  id: EXTENSION_ID,
  getDataSourcesModule() {
    return [
      { name: "dicomjson", type: "jsonApi", createDataSource: sourceThatSaves("dicomjson") },
      { name: "dicomweb", type: "webApi", createDataSource: sourceThatSaves("dicomweb") },
    ];
  },
};
