// The scan page: keep the cursor in the code field (a USB scanner types there and presses Enter), send each
// scan with fetch() so the page never reloads between scans, and flash and beep on an unknown code.
// Without this script the form posts and the page comes back (the same view answers both).
(function () {
    "use strict";
    const form = document.querySelector("[data-scan-form]");
    if (!form) {
        return;
    }
    const code = form.querySelector("input[name=code]");
    const quantity = form.querySelector("input[name=quantity]");
    const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    const alert = document.querySelector("[data-scan-alert]");
    const alertText = document.querySelector("[data-scan-alert-text]");
    const status = document.querySelector("[data-scan-status]");
    const recent = document.querySelector("[data-scan-recent]");
    const empty = document.querySelector("[data-scan-empty]");
    let audio = null;
    // Scans are sent one after another, in the order they were made, however fast the scanner is.
    let queue = Promise.resolve();
    const RETRIES = 3;

    function beep() {
        const Context = window.AudioContext || window.webkitAudioContext;
        if (!Context) {
            return;
        }
        audio = audio || new Context();
        const tone = audio.createOscillator();
        tone.frequency.value = 220;
        tone.connect(audio.destination);
        tone.start();
        tone.stop(audio.currentTime + 0.25);
    }

    function flash(message) {
        alertText.textContent = message;
        alert.hidden = false;
        form.classList.remove("scan-flash-error");
        void form.offsetWidth; // restart the animation when two errors come in a row
        form.classList.add("scan-flash-error");
        form.dataset.scanError = "1";
        beep();
    }

    function cell(text) {
        const td = document.createElement("td");
        td.textContent = text;
        return td;
    }

    function scanned(answer) {
        alert.hidden = true;
        form.classList.remove("scan-flash-error");
        delete form.dataset.scanError;
        status.textContent = answer.message;
        const row = document.createElement("tr");
        row.className = "*:border-b *:border-base-200 *:pe-6 *:py-2 dark:*:border-base-800";
        row.dataset.lineId = answer.line.id;
        const entry = answer.entry;
        [entry.product, entry.quantity, entry.by, entry.when].forEach(function (text) {
            row.appendChild(cell(text));
        });
        const body = recent.tBodies[0];
        body.insertBefore(row, body.firstChild);
        while (body.rows.length > Number(recent.dataset.scanRecent)) {
            body.deleteRow(body.rows.length - 1);
        }
        recent.hidden = false;
        empty.hidden = true;
    }

    // Every scan gets a key of its own; a retry sends the same key, so the server counts the scan once
    // even when its first answer was lost on the way back (crypto.getRandomValues also works over plain http).
    function newKey() {
        const bytes = new Uint8Array(18);
        window.crypto.getRandomValues(bytes);
        return Array.from(bytes, function (byte) {
            return byte.toString(16).padStart(2, "0");
        }).join("");
    }

    function post(data, attempt) {
        return fetch(form.action || window.location.href, {
            method: "POST",
            body: data,
            credentials: "same-origin",
            headers: { Accept: "application/json", "X-CSRFToken": token },
        }).catch(function (lost) {
            if (attempt >= RETRIES) {
                throw lost;
            }
            return new Promise(function (resolve) {
                window.setTimeout(resolve, 500 * (attempt + 1));
            }).then(function () {
                return post(data, attempt + 1);
            });
        });
    }

    function send(data) {
        return post(data, 0)
            .then(function (response) {
                return response.json().catch(function () {
                    return { ok: false, error: "The server did not take the scan (" + response.status + "); scan it again." };
                });
            })
            .then(function (answer) {
                if (answer.ok) {
                    scanned(answer);
                } else {
                    flash(answer.error);
                }
            })
            .catch(function () {
                flash("No connection to the server. Once it is back, check the last scans before scanning this one again.");
            });
    }

    form.addEventListener("submit", function (event) {
        event.preventDefault();
        const data = new FormData(form);
        data.set("submission_key", newKey());
        code.value = "";
        quantity.value = "";
        code.focus();
        queue = queue.then(function () {
            return send(data);
        });
    });

    code.focus();
    code.select();
    if (form.dataset.scanError) {
        beep();
    }
})();
