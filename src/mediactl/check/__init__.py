"""Check: every word the audience will see, against compliance rule packs.

Pipeline, top to bottom: `extract` turns a file (Markdown, HTML, text, SRT/VTT,
YAML/JSON, or a rendered variant) into segments of visible text with positions;
`normalize` folds width, case, traditional characters, number styles and removes
invisible and separator characters through an offset map; `matcher` finds every
term in one Aho-Corasick pass; `rules` loads the packs; `engine` applies each rule
kind and produces findings; `suppress` honours inline and front-matter allowances;
`report` formats them and `output` streams them out in order (large checks format
in their worker processes); `runner` checks variants and files and writes a report
per variant, bound to its content hash, for the publish gate.

Rule pack format (YAML; built-in packs in mediactl/data/rules/, a repository's own
in compliance/):

    pack: finance                       # rule ids start with "<pack>."
    title: 金融营销禁用表述
    rules:
      - id: finance.promise.baoben      # unique; lowercase letters, digits, '.', '-', '_'
        kind: term                      # term | regex | disclosure | occurrence | learned
        severity: error                 # blocker (cannot be suppressed) | error | warning | info
        message: 不得明示或者暗示保本     # shown to the user; may use {match}
        source: 《广告法》第二十五条第（一）项   # law and article, or the document it comes from
        terms: [保本, 保本保息]           # term/occurrence: the words; disclosure: see trigger
        allow: [非保本, 不保本]           # allowed contexts: phrases containing a term (or a disclosure's
                                        #   trigger: 基金会 is no fund) that are fine
        suggest: 非保本浮动收益           # substitution suggestion (text, or {term: suggestion})
        pattern: '…'                    # regex: matched on the normalised text
        validate: luhn                  # regex: a checksum the match must pass (luhn | cn_id)
        requires: [保证, 承诺]            # regex prefilter: every match holds one of these (folded);
                                        #   the pattern runs only on texts that do (checked: examples)
        requires_digits: 11             # regex prefilter: every match holds this many digits in one
                                        #   run, one space or hyphen apart at most (138 0013 8000)
        trigger: [理财, 净值]             # disclosure: any of these triggers the requirement
        require: [理财非存款、产品有风险、投资须谨慎]   # disclosure: one of these must be present (or an
                                        #   equivalent wording: mediactl/data/check/disclosure_equivalents.yaml)
        scope: variant                  # disclosure/occurrence: variant | paragraph; learned: paragraph
                                        #   (default) or variant (lowers by the whole variant's reading)
        max: 1                          # occurrence: at most this many per scope
        when: {platforms: [douyin], channels: [], products: [理财], kinds: [article]}
        unless_quoted_by: quoted-warning  # term/regex: a match quoted to warn about it (警惕“保本”等说辞)
                                        #   is reported at info; disclosure: such a trigger owes nothing;
                                        #   contexts in mediactl/data/check/contexts.yaml
        lawful_in: [deposit-insurance]  # term/regex: a match whose sentence states a fact the words are true
                                        #   of (存款保险：50万元以内，保本也保息) is reported at info;
                                        #   statements in mediactl/data/check/statements.yaml
        severity_by_policy: {policy: diversion, forbidden: error, allowed: warning}
                                        # the severity where the platform's facts say `policy: {diversion: …}`
                                        #   (links_out | diversion | qr_codes); `severity` where the platform says nothing
        model: claims.json              # learned (check/reader.py, data/rules/reader.yaml): its model in
        above: 0.8                      #   data/reader/; report a paragraph scoring at least `above`;
        below: 0.3                      #   lower an error of `arbitrates` (id prefixes) where the paragraph
        sentence_below: 0.3             #   scores under `below` and the sentence under `sentence_below`;
        arbitrates: [finance.]          #   `defers_to`: rules whose matches it leaves to them; `min_han`:
        min_han: 15                     #   the Han a paragraph (scope variant: the variant, whose clauses are
                                        #   read in runs under `sentence_below`) must hold
        examples:                       # self-tests, run when the pack loads and by `mediactl rules test`
          match: [本产品保本保息]
          no_match: [本产品为非保本浮动收益型]
"""
