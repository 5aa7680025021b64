/* Reads the patient link's token from the URL fragment (which browsers never send to a server),
   keeps it for this tab only, and takes it out of the address bar so that it is not shared or
   bookmarked by mistake. */
(function () {
  'use strict';
  var KEY = 'patient-link-token';
  var fragment = window.location.hash.replace(/^#/, '');
  if (/^[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+$/.test(fragment)) {
    try { window.sessionStorage.setItem(KEY, fragment); } catch (e) { /* private mode: keep it in memory */ }
    window.patientLinkToken = fragment;
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  window.patientLink = {
    token: function () {
      if (window.patientLinkToken) return window.patientLinkToken;
      try { return window.sessionStorage.getItem(KEY); } catch (e) { return null; }
    },
    /** The claims of the token (not verified here: the server checks every request). */
    claims: function () {
      var token = this.token();
      if (!token) return null;
      try {
        var part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
        return JSON.parse(window.atob(part + '==='.slice((part.length + 3) % 4)));
      } catch (e) { return null; }
    },
    fetch: function (url, options) {
      var opts = options || {};
      var headers = opts.headers || {};
      var token = this.token();
      if (token) headers.Authorization = 'Bearer ' + token;
      opts.headers = headers;
      opts.credentials = 'omit';
      opts.referrerPolicy = 'no-referrer';
      return window.fetch(url, opts);
    }
  };
})();
