// The scan page: keep the cursor in the code field (a USB scanner types there and presses Enter),
// and beep when the page comes back with an unknown code.
(function () {
    "use strict";
    const form = document.querySelector("[data-scan-form]");
    if (!form) {
        return;
    }
    const code = form.querySelector("input[name=code]");
    code.focus();
    code.select();
    if (form.dataset.scanError && window.AudioContext) {
        const audio = new AudioContext();
        const tone = audio.createOscillator();
        tone.frequency.value = 220;
        tone.connect(audio.destination);
        tone.start();
        tone.stop(audio.currentTime + 0.25);
    }
})();
