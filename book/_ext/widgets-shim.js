// Loaded after require.js and just before the ipywidgets HTML manager (embed-amd.js,
// same folder) on pages with widgets; see offline_assets.py.
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  // 1. Fonts. Each bundle inside embed-amd.js finds its font files relative to its
  //    require.js module URL (baseUrl + module name) or to this global; point both at
  //    this folder, where offline_assets.py puts the fonts (also under the module paths).
  window.__jupyter_widgets_assets_path__ = here;
  if (window.requirejs) { window.requirejs.config({ baseUrl: here }); }
  // 2. MathJax. The widget manager typesets labels with the MathJax 2 call
  //    MathJax.Hub.Queue; the book runs MathJax 3, so translate that one call.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (mj && !mj.Hub) {
      mj.Hub = {
        Queue: function (job) {
          var element = job && job[2];
          if (element && mj.startup && mj.startup.promise && mj.typesetPromise) {
            mj.startup.promise.then(function () { return mj.typesetPromise([element]); });
          }
        },
      };
    }
  });
})();
