/* The pre-op questionnaire: LHC-Forms renders the Questionnaire of the link's Task; answers are
   saved as an in-progress QuestionnaireResponse (on "Save" and when the patient leaves) and sent
   as completed through the FHIR API, so the server checks them as for any client. A refusal is
   shown next to the question it concerns, in plain words, and in a summary at the top. */
(function () {
  'use strict';
  var container = document.getElementById('questionnaire-form');
  var statusBox = document.getElementById('form-status');
  var errorBox = document.getElementById('form-errors');
  var actions = document.getElementById('form-actions');
  var texts = JSON.parse(container.getAttribute('data-texts'));
  var link = window.patientLink;
  var state = { task: null, questionnaire: null, responseId: null, savedItems: null, sending: false };

  function expired() {
    container.hidden = true;
    actions.hidden = true;
    statusBox.textContent = '';
    document.getElementById('link-expired').hidden = false;
  }

  function api(method, path, body, extra) {
    var options = { method: method, headers: { Accept: 'application/fhir+json' } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/fhir+json';
      options.body = JSON.stringify(body);
    }
    if (extra && extra.keepalive) options.keepalive = true;
    return link.fetch('/fhir/' + path, options).then(function (response) {
      if (response.status === 401) { expired(); throw new Error('expired'); }
      return response.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        return { status: response.status, body: json };
      });
    });
  }

  function say(message) {
    statusBox.innerHTML = '';
    var p = document.createElement('p');
    p.textContent = message;
    statusBox.appendChild(p);
  }

  function questionnaireOf(task) {
    var focus = task.focus && task.focus.reference;
    if (focus && /^Questionnaire\/[A-Za-z0-9\-.]+$/.test(focus)) return api('GET', focus).then(function (r) { return r.body; });
    var input = (task.input || []).filter(function (i) { return i.valueCanonical; })[0];
    if (!input) return Promise.reject(new Error('no questionnaire'));
    return api('GET', 'Questionnaire?url=' + encodeURIComponent(input.valueCanonical.split('|')[0])).then(function (r) {
      return r.body && r.body.entry && r.body.entry[0] && r.body.entry[0].resource;
    });
  }

  function savedResponseOf(task) {
    var output = (task.output || []).filter(function (o) {
      return o.valueReference && /^QuestionnaireResponse\//.test(o.valueReference.reference || '');
    })[0];
    if (!output) return Promise.resolve(null);
    return api('GET', output.valueReference.reference).then(function (r) { return r.status === 200 ? r.body : null; });
  }

  function currentResponse(status) {
    var response = window.LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4', container);
    var claims = link.claims();
    var patient = { reference: 'Patient/' + claims.patient };
    response.status = status;
    response.questionnaire = state.questionnaire.url + (state.questionnaire.version ? '|' + state.questionnaire.version : '');
    response.subject = patient;
    response.author = patient;
    response.source = patient;
    response.authored = new Date().toISOString();
    if (state.task.basedOn) response.basedOn = state.task.basedOn.filter(function (b) { return /^(ServiceRequest|CarePlan)\//.test(b.reference || ''); });
    if (state.responseId) response.id = state.responseId;
    else delete response.id;
    return response;
  }

  function store(status, extra) {
    var response = currentResponse(status);
    var request = state.responseId
      ? api('PUT', 'QuestionnaireResponse/' + encodeURIComponent(state.responseId), response, extra)
      : api('POST', 'QuestionnaireResponse', response, extra);
    return request.then(function (r) {
      if (r.status === 200 || r.status === 201) {
        if (r.body && r.body.id) state.responseId = r.body.id;
        state.savedItems = JSON.stringify(response.item || []);
      }
      r.sent = response;
      return r;
    });
  }

  /* The item a FHIRPath-like location such as QuestionnaireResponse.item[1].item[0].answer[0] names. */
  function linkIdAt(response, expression) {
    var node = response;
    var found = null;
    var steps = expression.replace(/^QuestionnaireResponse\.?/, '').split('.');
    for (var i = 0; i < steps.length; i++) {
      var m = /^(item|answer)\[(\d+)\]$/.exec(steps[i]);
      if (!m || !node || !node[m[1]]) break;
      node = node[m[1]][Number(m[2])];
      if (node && node.linkId) found = node.linkId;
    }
    return found;
  }

  function plainWords(issue) {
    if (issue.code === 'required') return texts.requiredAnswer;
    if (issue.code === 'value' && /characters long/.test(issue.diagnostics || '')) return texts.tooLong;
    return texts.checkAnswer;
  }

  /* LHC-Forms gives each question a row with the id item-{linkId}/{n}/{m}. */
  function questionElement(linkId) {
    var row = container.querySelector('[id^="item-' + linkId + '/"]');
    if (!row) return null;
    var field = row.querySelector('input:not([type=hidden]), textarea, select') || row;
    return { field: field, row: row };
  }

  /* ARIA references to elements the form library only adds on demand (a closed popover) point
     nowhere, which assistive technology cannot follow: they are removed. */
  function dropDanglingReferences() {
    ['aria-controls', 'aria-describedby', 'aria-labelledby'].forEach(function (name) {
      var found = container.querySelectorAll('[' + name + ']');
      Array.prototype.forEach.call(found, function (el) {
        var value = el.getAttribute(name);
        var ids = value.split(/\s+/).filter(function (id) { return id && document.getElementById(id); });
        if (ids.length === 0) el.removeAttribute(name);
        else if (ids.join(' ') !== value) el.setAttribute(name, ids.join(' '));
      });
    });
  }

  function clearErrors() {
    errorBox.innerHTML = '';
    var old = container.querySelectorAll('.error-message[data-server]');
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
  }

  function showRefusal(outcome, sent) {
    clearErrors();
    var all = ((outcome && outcome.issue) || []).filter(function (i) { return i.severity === undefined || i.severity === 'error' || i.severity === 'fatal'; });
    var located = all.filter(function (i) { return i.expression && i.expression.length > 0; });
    // Problems the server could not place add nothing a patient can act on when others are placed.
    var issues = located.length > 0 ? located : all;
    var summary = document.createElement('div');
    summary.className = 'error-summary';
    summary.setAttribute('role', 'alert');
    summary.setAttribute('aria-labelledby', 'error-summary-title');
    var h = document.createElement('h2');
    h.id = 'error-summary-title';
    h.textContent = texts.errorSummaryTitle;
    summary.appendChild(h);
    var intro = document.createElement('p');
    intro.textContent = texts.fixAnswers;
    summary.appendChild(intro);
    var list = document.createElement('ul');
    issues.forEach(function (issue, n) {
      // A missing answer is located at its parent item; the question itself is named in the message.
      var named = /'([A-Za-z0-9\-._]+)'/.exec(issue.diagnostics || '');
      var linkId = named && questionElement(named[1]) ? named[1] : (issue.expression || []).map(function (e) { return linkIdAt(sent, e); }).filter(Boolean)[0];
      var words = plainWords(issue);
      var target = linkId ? questionElement(linkId) : null;
      var li = document.createElement('li');
      if (target) {
        var message = document.createElement('span');
        message.className = 'error-message';
        message.setAttribute('data-server', 'true');
        message.id = 'server-error-' + n;
        message.textContent = words;
        target.row.insertBefore(message, target.row.firstChild);
        var describedBy = (target.field.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        describedBy.push(message.id);
        target.field.setAttribute('aria-describedby', describedBy.join(' '));
        var a = document.createElement('a');
        a.href = '#' + target.field.id;
        var label = target.row.querySelector('label');
        a.textContent = (label ? label.textContent.replace(/\s*\*\s*$/, '').trim() + ': ' : '') + words;
        a.addEventListener('click', function (event) { event.preventDefault(); target.field.focus(); });
        li.appendChild(a);
      } else {
        li.textContent = words;
      }
      list.appendChild(li);
    });
    summary.appendChild(list);
    errorBox.appendChild(summary);
    errorBox.focus();
  }

  function submit() {
    if (state.sending) return;
    clearErrors();
    var problems = window.LForms.Util.checkValidity(container);
    if (problems && problems.length > 0) {
      showRefusal({ issue: problems.map(function (text) { return { code: 'required', diagnostics: String(text) }; }) }, {});
      return;
    }
    state.sending = true;
    say(texts.loading);
    store('completed').then(function (r) {
      state.sending = false;
      if (r.status === 200 || r.status === 201) {
        document.removeEventListener('visibilitychange', saveOnLeave);
        window.removeEventListener('pagehide', saveOnLeave);
        window.location.assign('/my/thanks');
        return;
      }
      say('');
      showRefusal(r.body, r.sent);
    }).catch(function (e) {
      state.sending = false;
      if (e.message !== 'expired') say(texts.sendFailed);
    });
  }

  function save() {
    store('in-progress').then(function (r) {
      if (r.status === 200 || r.status === 201) say(texts.saved);
      else showRefusal(r.body, r.sent);
    }).catch(function (e) { if (e.message !== 'expired') say(texts.sendFailed); });
  }

  function answersNow() {
    return JSON.stringify(window.LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4', container).item || []);
  }

  /* Leaving the page (another page, closing the tab) or hiding it (switching apps on a phone). */
  function saveOnLeave(event) {
    var leaving = event.type === 'pagehide' || document.visibilityState === 'hidden';
    if (!leaving || state.sending || state.savedItems === answersNow()) return;
    store('in-progress', { keepalive: true }).catch(function () { /* tried */ });
  }

  if (!link.token() || !link.claims() || !link.claims().patient_link_task) { expired(); return; }
  api('GET', 'Task/' + encodeURIComponent(link.claims().patient_link_task))
    .then(function (r) {
      if (r.status !== 200) { expired(); throw new Error('expired'); }
      state.task = r.body;
      return Promise.all([questionnaireOf(state.task), savedResponseOf(state.task)]);
    })
    .then(function (found) {
      state.questionnaire = found[0];
      var saved = found[1];
      var options = { fhirVersion: 'R4' };
      if (saved && saved.status === 'in-progress') {
        state.responseId = saved.id;
        options.questionnaireResponse = saved;
      }
      return window.LForms.Util.addFormToPage(state.questionnaire, 'questionnaire-form', options);
    })
    .then(function () {
      dropDanglingReferences();
      // Items the form adds later (a repeated group, an enabled question) get the same care.
      var pending = false;
      new MutationObserver(function () {
        if (pending) return;
        pending = true;
        window.setTimeout(function () { pending = false; dropDanglingReferences(); }, 0);
      }).observe(container, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-controls', 'aria-describedby', 'aria-labelledby'] });
      statusBox.textContent = '';
      actions.hidden = false;
      state.savedItems = answersNow();
      document.getElementById('submit-answers').addEventListener('click', submit);
      document.getElementById('save-answers').addEventListener('click', save);
      document.addEventListener('visibilitychange', saveOnLeave);
      window.addEventListener('pagehide', saveOnLeave);
    })
    .catch(function (e) { if (e.message !== 'expired') say(texts.sendFailed); });
})();
