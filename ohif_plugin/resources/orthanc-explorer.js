/*
 * OHIF plugin for Orthanc: the "Open OHIF viewer" button of Orthanc Explorer.
 * OHIF_SETTINGS is replaced by the plugin with a JSON object:
 *   {"dataSource": "dicom-json" | "dicom-web",
 *    "modes": [{"label": ..., "route": ..., "parameters": {...}}, ...]}
 * Text from DICOM is only ever passed through .text() and encodeURIComponent.
 * A token= the Explorer page was opened with (Orthanc authorization plugin
 * style) goes to the viewer page and, with dicom-json, to the study URL, whose
 * instance URLs then carry it too.
 */
(function () {
  var settings = /*OHIF_SETTINGS*/null;
  var orthancId = /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/;
  var tokenMatch = /[?&]token=([^&#]*)/.exec(window.location.search);
  var token = tokenMatch ? tokenMatch[1] : '';  // still percent-encoded, as the server sees it

  function viewerUrl(mode, studyId, studyInstanceUid) {
    var query = [];
    for (var name in mode.parameters) {
      query.push(encodeURIComponent(name) + '=' + encodeURIComponent(mode.parameters[name]));
    }
    if (settings.dataSource === 'dicom-web') {
      query.push('StudyInstanceUIDs=' + encodeURIComponent(studyInstanceUid));
    } else {
      var studyUrl = '../studies/' + studyId + '/ohif-dicom-json';
      query.push('url=' + studyUrl + (token ? encodeURIComponent('?token=' + token) : ''));
    }
    if (token) {
      query.push('token=' + token);
    }
    return '../ohif/' + mode.route + '?' + query.join('&');
  }

  function modeItem(mode, studyId, studyInstanceUid) {
    var link = $('<a>', { href: '#', rel: 'close' }).text(mode.label);
    return $('<li>', { 'class': 'ohif-mode' }).attr('data-ohif-route', mode.route).append(link)
      .click(function () {
        window.open(viewerUrl(mode, studyId, studyInstanceUid));
      });
  }

  $('#study').live('pagebeforeshow', function () {
    var studyId = $.mobile.pageData.uuid;
    $('#ohif-button').remove();
    if (!orthancId.test(studyId)) {
      return;
    }
    $.ajax({
      url: '../studies/' + studyId,
      dataType: 'json',
      success: function (study) {
        var studyInstanceUid = study.MainDicomTags.StudyInstanceUID;
        $('#ohif-button').remove();
        var button = $('<a>', { id: 'ohif-button', href: '#' })
          .attr('data-role', 'button').attr('data-icon', 'search').attr('data-theme', 'e')
          .text('Open OHIF viewer')
          .button();
        button.insertAfter($('#study-info'));
        button.click(function () {
          var list = $('<ul>', { id: 'ohif-modes' })
            .attr('data-divider-theme', 'd').attr('data-role', 'listview');
          for (var i = 0; i < settings.modes.length; i++) {
            list.append(modeItem(settings.modes[i], studyId, studyInstanceUid));
          }
          $('#dialog').simpledialog2({
            mode: 'blank',
            animate: false,
            headerText: 'Choose OHIF viewer',
            headerClose: true,
            forceInput: false,
            width: '100%',
            blankContent: list
          });
        });
      }
    });
  });

  if (settings.dataSource === 'dicom-web') {
    $('#lookup').live('pagebeforeshow', function () {
      $('#ohif-study-list').remove();
      var button = $('<a>', { id: 'ohif-study-list-button', href: '#' })
        .attr('data-role', 'button').attr('data-icon', 'forward').attr('data-theme', 'a')
        .text('Open OHIF study list')
        .button()
        .click(function () {
          window.open('../ohif/');
        });
      $('<fieldset>', { id: 'ohif-study-list', 'class': 'ui-grid-b' })
        .append($('<div>', { 'class': 'ui-block-a' }))
        .append($('<div>', { 'class': 'ui-block-b' }).append(button))
        .insertAfter($('#lookup-result'));
    });
  }
})();
