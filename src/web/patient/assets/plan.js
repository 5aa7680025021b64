/* The patient's dated plan: the server renders it for the token of the link; ticks are kept in this browser. */
(function () {
  'use strict';
  var target = document.getElementById('plan-content');
  function expired() {
    target.hidden = true;
    document.getElementById('link-expired').hidden = false;
  }
  function keepTicks(taskId) {
    var key = 'plan-ticks-' + taskId;
    var ticks = {};
    try { ticks = JSON.parse(window.localStorage.getItem(key) || '{}'); } catch (e) { ticks = {}; }
    var boxes = target.querySelectorAll('input[type=checkbox][data-step]');
    Array.prototype.forEach.call(boxes, function (box) {
      box.checked = ticks[box.getAttribute('data-step')] === true;
      box.addEventListener('change', function () {
        ticks[box.getAttribute('data-step')] = box.checked;
        try { window.localStorage.setItem(key, JSON.stringify(ticks)); } catch (e) { /* not kept */ }
      });
    });
  }
  if (!window.patientLink.token()) { expired(); return; }
  window.patientLink.fetch('/my/plan/content', { headers: { Accept: 'text/html' } })
    .then(function (response) {
      return response.text().then(function (html) {
        if (response.status === 401) { expired(); return; }
        target.innerHTML = html;
        if (response.ok) {
          var claims = window.patientLink.claims();
          keepTicks(claims && claims.patient_link_task ? claims.patient_link_task : 'plan');
        }
      });
    })
    .catch(function () { target.textContent = 'We could not load your plan. Please try again later.'; });
})();
