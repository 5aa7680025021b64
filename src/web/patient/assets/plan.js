/* The patient's dated plan: the server renders it for the token of the link; ticks are kept in this browser. */
(function () {
  'use strict';
  var target = document.getElementById('plan-content');
  function expired() {
    target.innerHTML = '';
    var card = document.createElement('div');
    card.className = 'card card--warning';
    card.setAttribute('role', 'alert');
    var h = document.createElement('h2');
    h.textContent = 'This link has expired';
    var p = document.createElement('p');
    p.textContent = 'This link has expired — contact your care team. They can send you a new link.';
    card.appendChild(h); card.appendChild(p); target.appendChild(card);
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
        target.innerHTML = html;
        if (response.ok) {
          var claims = window.patientLink.claims();
          keepTicks(claims && claims.patient_link_task ? claims.patient_link_task : 'plan');
        }
      });
    })
    .catch(function () { target.textContent = 'We could not load your plan. Please try again later.'; });
})();
