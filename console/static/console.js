// Small helpers for the console; every page works without them.
(function () {
  "use strict";
  var form = document.getElementById("new-request");
  if (!form) { return; }
  var jur = document.getElementById("jurisdiction");
  var pol = document.getElementById("policy");
  var out = document.getElementById("deadline-preview");

  // Offer only the policies of the chosen jurisdiction.
  function filterPolicies() {
    var first = null, keep = false;
    Array.prototype.forEach.call(pol.options, function (o) {
      var match = o.getAttribute("data-jurisdiction") === jur.value;
      o.hidden = !match;
      o.disabled = !match;
      if (match && !first) { first = o; }
      if (match && o.selected) { keep = true; }
    });
    if (!keep && first) { first.selected = true; }
  }

  // Show the deadline the request would get, as the server computes it.
  var seq = 0;
  function preview() {
    var n = ++seq;
    var q = new URLSearchParams({
      policy_id: pol.value,
      type: form.elements.type.value,
      received_at: form.elements.received_at.value
    });
    fetch("/console/deadline?" + q.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) { if (n === seq) { out.innerHTML = html; } })
      .catch(function () {});
  }

  jur.addEventListener("change", function () { filterPolicies(); preview(); });
  ["policy", "type", "received_at"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", preview);
  });
  filterPolicies();
  preview();
})();
