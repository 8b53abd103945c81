/*
 * Default OHIF configuration of the OHIF plugin for Orthanc, used when
 * "OHIF"."UserConfiguration" is empty. The plugin then sets routerBasename,
 * dataSources and defaultDataSourceName (and showStudyList with dicom-json).
 */
window.config = {
  extensions: [],
  modes: [],
  showStudyList: true,
  // Some Windows systems have issues with more than 3 web workers.
  maxNumberOfWebWorkers: 3,
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: true,
  showLoadingIndicator: true,
  strictZSpacingForVolumeViewport: true,
  maxNumRequests: {
    interaction: 100,
    thumbnail: 75,
    prefetch: 25,
  },
  investigationalUseDialog: {
    option: 'never',
  },
};
