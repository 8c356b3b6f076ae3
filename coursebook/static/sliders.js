// The site's precomputed widgets (coursebook/sliders.py): each control picks one of a few values,
// and the frame drawn for that combination of values, at build time, replaces the one shown.
// No kernel, no network: the frames are in the page and its pictures are files beside it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".coursebook-frames").forEach(function (widget) {
    var data = JSON.parse(widget.querySelector(".coursebook-frames-data").textContent);
    var controls = Array.prototype.slice.call(widget.querySelectorAll("[data-control]"));
    var area = widget.querySelector(".coursebook-frame");
    function frame() {  // the frame of the controls' positions; updates their readouts
      var setting = 0;
      controls.forEach(function (control, i) {
        var position = Number(control.value);
        setting = setting * data.labels[i].length + position;
        var readout = control.parentNode.querySelector("output");
        if (readout) { readout.textContent = data.labels[i][position]; }
      });
      return data.frames[setting];
    }
    var shown = frame();  // the page was written showing the start positions' frame
    function show() {
      var next = frame();
      if (next !== shown) {
        area.innerHTML = data.html[next];
        shown = next;
        if (window.MathJax && MathJax.typesetPromise) { MathJax.typesetPromise([area]); }
      }
    }
    controls.forEach(function (control) {
      control.addEventListener("input", show);
      control.addEventListener("change", show);
    });
  });
});
