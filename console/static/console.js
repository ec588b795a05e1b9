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

  // Show only the parts the chosen type takes; the server sends only those
  // anyway, so without the script all of them show and nothing is lost.
  var typ = document.getElementById("type");
  function showParts() {
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.typed"), function (fs) {
      fs.hidden = (fs.getAttribute("data-types") || "").split(" ").indexOf(typ.value) < 0;
    });
  }

  // One more empty correction row, a copy of the last without its values.
  var rows = document.querySelector("#corrections tbody");
  var add = document.getElementById("add-correction");
  if (rows && add) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var last = rows.lastElementChild;
      var row = last.cloneNode(true);
      var n = rows.children.length;
      Array.prototype.forEach.call(row.querySelectorAll(".field-error"), function (e) { e.remove(); });
      Array.prototype.forEach.call(row.querySelectorAll("input"), function (i) {
        i.value = "";
        i.id = i.id.replace(/-[0-9]+$/, "-" + n);
      });
      rows.appendChild(row);
      row.querySelector("input").focus();
    });
  }

  typ.addEventListener("change", showParts);
  showParts();
  jur.addEventListener("change", function () { filterPolicies(); preview(); });
  ["policy", "type", "received_at"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", preview);
  });
  filterPolicies();
  preview();
})();
