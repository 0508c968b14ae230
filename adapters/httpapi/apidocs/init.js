// Starts Redoc on the docs page. It is a file rather than an inline script
// so that the page's Content-Security-Policy allows no inline script at
// all, and it runs before Redoc's bundle so that it can hand the page's
// style nonce to every <style> element the bundle creates: Redoc's
// styled-components take the nonce as an option, but modules of the
// bundle inject their CSS as it loads, before any option is read. The
// CSP then refuses every inline style that no script of the page made.
(function () {
  'use strict';
  var nonce = document.currentScript ? document.currentScript.nonce : '';
  var createElement = document.createElement;
  document.createElement = function (tag) {
    var el = createElement.apply(document, arguments);
    if (nonce && typeof tag === 'string' && tag.toLowerCase() === 'style') {
      el.setAttribute('nonce', nonce);
    }
    return el;
  };
  document.addEventListener('DOMContentLoaded', function () {
    var root = document.getElementById('redoc');
    window.Redoc.init(root.getAttribute('data-spec-url'), {
      nonce: nonce,
      expandResponses: '200,201,202,204',
      jsonSampleExpandLevel: 3,
      pathInMiddlePanel: true,
      requiredPropsFirst: true,
      hideHostname: true
    }, root);
  });
})();
