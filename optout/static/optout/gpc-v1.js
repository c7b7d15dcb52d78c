/* Privacy portal: Global Privacy Control on a business's own website (CCPA regs §7025(b)).

   Paste on every page of the site (the tenant admin shows the exact line):
     <script src="https://PORTAL/static/optout/gpc-v1.<hash>.js" data-business="SLUG" async></script>

   When the browser has GPC on (navigator.globalPrivacyControl === true) the script reports it
   to the portal with this site's device id, and the portal records the opt-out of sale and
   sharing for that id. The id is first-party: 32 random bytes, base64url (43 characters), kept
   in this site's localStorage and in a cookie "pp_device_id" that the site's own server reads
   to ask the portal's consent lookup (subject kind "device"). No third-party code, no cookie
   of the portal's. A browser without the signal is never reported: its absence is no choice.
   One report per browser a day; the portal keeps the opt-out. After each report the page gets
   a "privacyportal:gpc" event whose detail is the portal's answer ({opted_out, ...}). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || navigator.globalPrivacyControl !== true) {
    return;
  }
  var business = script.getAttribute("data-business") || "";
  if (!/^[-A-Za-z0-9_]+$/.test(business) || !window.fetch || !window.crypto) {
    return;
  }
  var KEY = "pp_device_id";
  var SENT = "pp_gpc_reported_at:" + business;
  var DAY = 86400000;
  var ID = /^[A-Za-z0-9_-]{43}$/;

  function load(name) {
    try {
      return window.localStorage.getItem(name);
    } catch (e) {
      return null;
    }
  }
  function keep(name, value) {
    try {
      window.localStorage.setItem(name, value);
    } catch (e) {
      /* storage off: the cookie still carries the id */
    }
  }
  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? match[1] : null;
  }
  function newId() {
    var bytes = new Uint8Array(32);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) {
      text += String.fromCharCode(bytes[i]);
    }
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  var id = load(KEY) || cookie(KEY);
  if (!ID.test(id || "")) {
    id = newId();
  }
  keep(KEY, id);
  // 400 days: the longest a browser keeps a cookie.
  document.cookie =
    KEY + "=" + id + "; Max-Age=34560000; Path=/; SameSite=Lax" +
    (window.location.protocol === "https:" ? "; Secure" : "");

  if (Date.now() - Number(load(SENT) || 0) < DAY) {
    return;
  }
  var endpoint = new URL(script.src, window.location.href).origin + "/" + business + "/signal/";
  window
    .fetch(endpoint, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      keepalive: true,
      // text/plain keeps the call "simple": no preflight request before it.
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ device_id: id, gpc: true }),
    })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(function (answer) {
      if (!answer) {
        return;
      }
      keep(SENT, String(Date.now()));
      document.dispatchEvent(new CustomEvent("privacyportal:gpc", { detail: answer }));
    })
    .catch(function () {
      /* offline or blocked: tried again on the next page */
    });
})();
