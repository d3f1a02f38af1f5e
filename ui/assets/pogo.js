'use strict';
document.getElementById('main').textContent = 'pogo web UI';
