/* The gate scanner: the camera (jsQR, vendored), USB or Bluetooth scanners (they type the code and
   Enter into the field) and typed codes, answered by POST /api/v1/checkins with the session and its
   CSRF token. Settings and words come from data- attributes on #scanner (no inline script under the
   CSP). Without this file the form still posts and the page shows the answer.

   A scanner can send the next code before the last answer is back: codes wait in a queue and are
   checked one after another, in order. The overlay shows the latest answer, with the answers of the
   scans just before it listed underneath, so none goes unseen and no earlier green stands for a
   later scan. */
(function () {
  "use strict";

  var root = document.getElementById("scanner");
  var result = document.getElementById("scan-result");
  if (!root || !result || !window.fetch || !window.JSON) { return; }

  var form = root.querySelector("[data-scan-form]");
  var codeInput = form.querySelector("[name=code]");
  var gateInput = form.querySelector("[name=gate]");
  var titleEl = result.querySelector("[data-result-title]");
  var messageEl = result.querySelector("[data-result-message]");
  var partyEl = result.querySelector("[data-result-party]");
  var headcountForm = result.querySelector("[data-headcount-form]");
  var studentsInput = headcountForm.querySelector("[name=students]");
  var adultsInput = headcountForm.querySelector("[name=adults]");
  var waitingEl = result.querySelector("[data-result-waiting]");
  var earlierEl = result.querySelector("[data-result-earlier]");
  var earlierList = result.querySelector("[data-result-earlier-list]");
  var SAME_CODE_MS = 3000; // the camera sees one code many times a second
  var busy = false;
  var lastCode = "";
  var lastAt = 0;
  var pending = null;
  var pendingParty = "";  // the class ticket's party, shown while its numbers are confirmed
  var queue = [];  // codes scanned while another was being checked, oldest first
  var run = [];  // this run of back-to-back scans: each answer, oldest first
  var current = null;  // the answer on screen, moved to the list when the next scan starts

  function msg(name) { return root.getAttribute("data-msg-" + name) || ""; }

  // The gate lives in the cookie the server reads (for the page and for staff walk-ins), written as
  // the server writes it: a scan through the API does not set it.
  function rememberGate() {
    if (!gateInput) { return; }
    document.cookie = root.getAttribute("data-gate-cookie") + "=" +
      encodeURIComponent(gateInput.value.trim()) + "; path=/; max-age=" +
      root.getAttribute("data-gate-cookie-age") + "; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
  }

  function nonce() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function showQueue() {
    waitingEl.hidden = queue.length === 0;
    waitingEl.textContent = queue.length ? msg("waiting").replace("{0}", queue.length) : "";
    earlierEl.hidden = run.length === 0;
    earlierList.textContent = "";
    run.forEach(function (answer) {
      var item = document.createElement("li");
      var badge = document.createElement("span");
      badge.className = "badge " + (answer.tone === "none" ? "bad" : answer.tone);
      badge.textContent = answer.title;
      item.appendChild(badge);
      // A refusal says why; an admission, for whom.
      var detail = [answer.party, answer.tone === "ok" ? "" : answer.message].filter(Boolean).join(" · ");
      if (detail) { item.appendChild(document.createTextNode(" " + detail)); }
      earlierList.appendChild(item);
    });
  }

  // While an answer covers the page, it and the ticket field (kept in view above it by the CSS) are all
  // a keyboard can reach: the rest of the page, out of sight, is inert.
  var behind = null;

  function partsBehind() {
    var parts = [];
    for (var node = form; node.parentElement && node !== document.body; node = node.parentElement) {
      Array.prototype.forEach.call(node.parentElement.children, function (sibling) {
        if (sibling !== node && sibling !== result && sibling.tagName !== "SCRIPT") { parts.push(sibling); }
      });
    }
    return parts;
  }

  function cover(on) {
    document.body.classList.toggle("scan-covered", on);
    behind = behind || partsBehind();
    behind.forEach(function (el) { el.inert = on; });
  }

  function show(tone, title, message, party) {
    result.hidden = false;
    cover(true);
    result.className = "scan-result overlay tone-" + tone;
    titleEl.textContent = title || "";
    messageEl.textContent = message || "";
    partyEl.textContent = party || "";
    headcountForm.hidden = true;
    current = tone === "none" ? null : {tone: tone, title: title || "", message: message || "", party: party || ""};
    showQueue();
    if (navigator.vibrate && tone !== "none") { navigator.vibrate(tone === "ok" ? 80 : [80, 60, 80]); }
  }

  function hide() {
    result.hidden = true;
    cover(false);
    pending = null;
    current = null;
    run = [];
    codeInput.focus();
    next();  // scans that waited behind a class's headcount
  }

  function post(body) {
    return fetch(root.getAttribute("data-api"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": root.getAttribute("data-csrf")},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return {status: response.status, data: data}; });
    });
  }

  function answer(res) {
    var data = res.data || {};
    if (res.status === 200) {
      show(data.tone, data.title, data.message, data.party);
      refreshTotals();
    } else {
      show("bad", data.message || msg("network"), "", "");
    }
  }

  // Not checked: red, and listed with the run, so staff scan that visitor again.
  function failed() { show("bad", msg("network"), "", ""); }

  function done() {
    busy = false;
    if (headcountForm.hidden) { codeInput.focus(); }
    next();
  }

  function askHeadcount(body, data) {
    show("warn", msg("confirm-title"), msg("confirm"), data.party);
    current = null;  // not an answer yet: the class's is shown once staff decide
    markHeadcount(null, "");  // the last class's refusal is not this one's
    studentsInput.value = data.booking.students;
    adultsInput.value = data.booking.adults;
    headcountForm.hidden = false;
    pending = body;
    pendingParty = data.party;
    focusHeadcount();
  }

  // Staff count the class on the form, but a scanner half-way through typing the next code keeps the
  // field: its Enter would otherwise confirm the class unseen, with the booked numbers.
  function focusHeadcount(input) {
    if (document.activeElement === codeInput && codeInput.value) { return; }
    (input || studentsInput).focus();
  }

  // The API names the number it refuses by its place in the request (`field`); a refusal of both
  // (a class of nobody) names the headcount and is said above the form.
  var HEADCOUNT_INPUTS = {"headcount.students": studentsInput, "headcount.adults": adultsInput};

  // The refusal next to the number it is about, marked as the page's forms mark a field; the input
  // named, or null. With no field, every mark is taken away.
  function markHeadcount(field, message) {
    var marked = HEADCOUNT_INPUTS[field] || null;
    [studentsInput, adultsInput].forEach(function (input) {
      var error = document.getElementById(input.id + "-error");
      var on = input === marked;
      error.textContent = on ? message : "";
      error.hidden = !on;
      input.parentElement.classList.toggle("has-error", on);
      if (on) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", error.id);
      } else {
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      }
    });
    return marked;
  }

  // Numbers the server refuses (nobody, or more than booked) are corrected on the same form, which
  // keeps "Do not admit" at hand and what staff typed; nothing was recorded, so the same scan (and
  // nonce) is sent again.
  var HEADCOUNT_ERRORS = ["invalid_headcount", "headcount_above_booking"];

  function answerHeadcount(body, party) {
    return function (res) {
      var data = res.data || {};
      if (res.status !== 200 && HEADCOUNT_ERRORS.indexOf(data.error) !== -1) {
        var input = markHeadcount(data.field, data.message);
        show("warn", msg("confirm-title"), input ? msg("correct") : data.message, party);
        current = null;
        headcountForm.hidden = false;
        delete body.headcount;
        pending = body;
        pendingParty = party;
        focusHeadcount(input);
        return;
      }
      answer(res);
    };
  }

  function scanned(code, fromCamera) {
    code = (code || "").trim();
    if (!code) { return; }
    var now = Date.now();
    if (fromCamera && ((code === lastCode && now - lastAt < SAME_CODE_MS) || queue.indexOf(code) !== -1)) { return; }
    lastCode = code;
    lastAt = now;
    if (!busy && !pending && !queue.length) {
      run = [];  // a new run of scans: the last one's answers have had the screen to themselves
      current = null;
    }
    queue.push(code);
    if (busy || pending) { showQueue(); return; }
    next();
  }

  function next() {
    if (busy || pending || !queue.length) { return; }
    var code = queue.shift();
    if (current) { run.push(current); }
    busy = true;
    var body = {code: code, nonce: nonce(), gate: gateInput ? gateInput.value : ""};
    show("none", msg("busy"), "", "");
    // Preview first: a class's ticket waits for staff to confirm who arrived.
    post({code: code, preview: true}).then(function (res) {
      var data = res.data || {};
      if (res.status === 200 && data.result === "ok" && data.booking && data.booking.kind === "group") {
        askHeadcount(body, data);
        return null;
      }
      if (res.status !== 200) { return answer(res); }
      return post(body).then(answer);
    }).catch(failed).then(done);
  }

  if (gateInput) { gateInput.addEventListener("change", rememberGate); }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    rememberGate();
    var code = codeInput.value;
    codeInput.value = "";
    scanned(code, false);
  });

  headcountForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!pending || busy) { return; }
    var body = pending;
    pending = null;
    body.headcount = {students: parseInt(studentsInput.value, 10), adults: parseInt(adultsInput.value, 10)};
    busy = true;
    post(body).then(answerHeadcount(body, pendingParty)).catch(failed).then(done);
  });
  headcountForm.querySelector("[data-headcount-cancel]").addEventListener("click", hide);
  result.querySelector("[data-result-next]").addEventListener("click", function (event) {
    event.preventDefault();
    hide();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !result.hidden) { hide(); }
  });

  function refreshTotals() {
    fetch(root.getAttribute("data-totals"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (totals) {
        if (!totals) { return; }
        Array.prototype.forEach.call(document.querySelectorAll("[data-total]"), function (el) {
          var value = totals[el.getAttribute("data-total")];
          if (value !== undefined) { el.textContent = value; }
        });
      })
      .catch(function () { /* the totals catch up on the next scan */ });
  }

  // --- the camera ---------------------------------------------------------------------------------
  var camera = root.querySelector("[data-camera]");
  var video = root.querySelector("[data-camera-video]");
  var toggle = root.querySelector("[data-camera-toggle]");
  var status = root.querySelector("[data-camera-status]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", {willReadFrequently: true});
  var stream = null;
  var timer = null;
  var FRAME_MS = 150;
  var MAX_WIDTH = 640; // enough pixels for a version-6 code at arm's length, cheap to decode

  if (!camera || !window.jsQR || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  camera.hidden = false;

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    clearTimeout(timer);
    video.hidden = true;
    toggle.textContent = msg("start");
    status.textContent = "";
  }

  function tick() {
    if (!stream) { return; }
    if (video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      var width = Math.round(video.videoWidth * scale);
      var height = Math.round(video.videoHeight * scale);
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height,
                              {inversionAttempts: "dontInvert"});
      if (found && found.data) { scanned(found.data, true); }
    }
    timer = setTimeout(tick, FRAME_MS);
  }

  function start() {
    navigator.mediaDevices.getUserMedia({video: {facingMode: {ideal: "environment"}}, audio: false})
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        var playing = video.play();
        if (playing && playing.catch) { playing.catch(function () {}); }
        toggle.textContent = msg("stop");
        status.textContent = msg("scanning");
        tick();
      })
      .catch(function (error) {
        status.textContent = error && error.name === "NotAllowedError" ? msg("denied") : msg("no-camera");
      });
  }

  toggle.addEventListener("click", function () { if (stream) { stop(); } else { start(); } });
  window.addEventListener("pagehide", stop);
}());
