/* mltk: the "MathJax 2" that Thebe's renderers load in live mode (its mathjaxUrl).
 *
 * JupyterLab's MathJax 2 typesetter, bundled in Thebe, loads mathjaxUrl, then calls
 * MathJax.Hub.Config, MathJax.Hub.Register.StartupHook (to restyle MathJax 2's menus),
 * MathJax.Hub.Configured and MathJax.Hub.Queue (with a job calling
 * MathJax.InputJax.TeX.resetEquationNumbers). Pages with calculators
 * already run MathJax 3 from _static/vendor/mathjax, and mltk-offline.js gives it a
 * MathJax.Hub.Queue that typesets through MathJax 3. This file adds the configuration calls,
 * the hook and the equation-number reset as no-ops (the book's equation numbers stay as
 * built), so live outputs are typeset by the page's MathJax and nothing comes from a CDN.
 */
(function () {
  "use strict";
  var mj = window.MathJax || (window.MathJax = {});
  var hub = mj.Hub || (mj.Hub = { Queue: function () {} });
  hub.Config = hub.Config || function () {};
  hub.Configured = hub.Configured || function () {};
  hub.Register = hub.Register || {};
  hub.Register.StartupHook = hub.Register.StartupHook || function () {};
  hub.Register.MessageHook = hub.Register.MessageHook || function () {};
  mj.InputJax = mj.InputJax || {};
  mj.InputJax.TeX = mj.InputJax.TeX || {};
  mj.InputJax.TeX.resetEquationNumbers = mj.InputJax.TeX.resetEquationNumbers || function () {};
})();
