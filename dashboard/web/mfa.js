/* The second factor on the login and account pages: the QR code the API answers ("qr":
 * lines of "##" for a dark module and "  " for a light one) drawn on a canvas, the
 * secret for typing by hand, the recovery codes shown once. */
"use strict";
DC.mfa = {
  /* Draws lines on canvas, scale pixels a module. */
  drawQr(canvas, lines, scale = 4) {
    canvas.width = canvas.height = lines.length * scale;
    const g = canvas.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.fillStyle = "#000";
    lines.forEach((l, y) => {
      for (let x = 0; 2 * x < l.length; x++)
        if (l[2 * x] === "#") g.fillRect(x * scale, y * scale, scale, scale);
    });
  },
  /* The base32 secret of an otpauth:// URI. */
  secretOf(uri) {
    const m = /[?&]secret=([A-Z2-7]+)/.exec(uri);
    return m ? m[1] : "";
  },
  /* Fills the list ol with the recovery codes. */
  showCodes(ol, codes) {
    ol.replaceChildren(...codes.map((c) => {
      const li = document.createElement("li");
      li.textContent = c;
      return li;
    }));
  },
};
