"""Headless-browser helpers: render the process files with bpmn-js in Debian's Chromium.

Setup (once per machine / CI image)::

    apt-get install -y chromium fonts-thai-tlwg   # the fonts: Thai labels, not boxes
    npm ci --prefix tests/browser                 # the pinned bpmn-js viewer
"""
