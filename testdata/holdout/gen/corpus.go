package main

type sceneMaker func(g *gen) *scene

type recipe struct {
	r       renderer
	scenes  []sceneMaker
	needWho bool // the format exists to carry a hashed identifier
}

var (
	mkCond     = (*gen).scCondition
	mkSearch   = (*gen).scDoctorSearch
	mkBook     = (*gen).scBooking
	mkRx       = (*gen).scPharmacy
	mkPortal   = (*gen).scPortal
	mkSymptom  = (*gen).scSymptomChecker
	mkIntake   = (*gen).scIntake
	mkChat     = (*gen).scChat
	mkCopay    = (*gen).scCopay
	mkSens     = (*gen).scSensitive
	mkElig     = (*gen).scEligibility
	mkReferral = (*gen).scReferral
	mkRetail   = (*gen).scRetailHashed
	mkSignup   = (*gen).scSignup
	mkTransfer = (*gen).scRxTransfer
)

func sm(ms ...sceneMaker) []sceneMaker { return ms }

var (
	rMetaGET    = renderer{"meta", metaGET}
	rMetaPOST   = renderer{"meta", metaPOST}
	rGA4GET     = renderer{"ga4", ga4GET}
	rGA4POST    = renderer{"ga4", ga4POST}
	rGA4FP      = renderer{"firstparty-ga4", ga4FirstParty}
	rGads       = renderer{"gads", gadsGET}
	rTikTok     = renderer{"tiktok", tiktok}
	rLinkedIn   = renderer{"linkedin", linkedinCollect}
	rLinkedInWA = renderer{"linkedin", linkedinWA}
	rPinterest  = renderer{"pinterest", pinterest}
	rSnap       = renderer{"snapchat", snapchat}
	rCriteo     = renderer{"criteo", criteo}
	rEmailClick = renderer{"emailclick", emailClick}
	rIcPing     = renderer{"intercom", intercomPing}
	rIcMsg      = renderer{"intercom", intercomMessage}
	rIcEvents   = renderer{"intercom", intercomEvents}
	rIcUpload   = renderer{"intercom", intercomUpload}
	rSegT       = renderer{"segment", segment("track")}
	rSegI       = renderer{"segment", segment("identify")}
	rSegP       = renderer{"segment", segment("page")}
	rSegFP      = renderer{"firstparty-segment", segmentFirstParty}
	rRudder     = renderer{"rudderstack", rudderBatch}
	rMixForm    = renderer{"mixpanel", mixpanelForm}
	rMixEngage  = renderer{"mixpanel", mixpanelEngage}
	rMixJSON    = renderer{"mixpanel", mixpanelJSON}
	rSpPV       = renderer{"snowplow", snowplowPV}
	rSpUE       = renderer{"snowplow", snowplowUE}
	rSpPOST     = renderer{"snowplow", snowplowPOST}
	rPhB64      = renderer{"posthog", posthogB64}
	rPhGzip     = renderer{"posthog", posthogGzip}
	rPhLZ       = renderer{"posthog", posthogLZ}
	rPhLZURI    = renderer{"posthog", posthogLZURI}
	rPhReplay   = renderer{"posthog", posthogReplay}
	rHotjar     = renderer{"hotjar", hotjar}
	rFullStory  = renderer{"fullstory", fullstory}
	rDDPlain    = renderer{"datadog", datadogPlain}
	rDDZlib     = renderer{"datadog", datadogZlib}
	rDDProxy    = renderer{"firstparty-datadog", datadogProxy}
	rSentry     = renderer{"sentry", sentry}
	rJWT        = renderer{"firstparty-jwt", jwtCollect}
)

// positives lists, per tracker format, the pages it is sent from; each
// entry is one flow.
var positives = []recipe{
	{rMetaGET, sm(mkBook, mkRetail, mkSignup, mkCond, mkSens, mkSearch, mkBook, mkRetail, mkRx, mkSens), false},
	{rMetaPOST, sm(mkBook, mkRetail, mkBook, mkSens, mkRx, mkSignup, mkRetail), false},
	{rGA4GET, sm(mkCond, mkSearch, mkSymptom, mkSens, mkBook, mkSignup), false},
	{rGA4POST, sm(mkTransfer, mkIntake, mkRx, mkPortal, mkSens, mkSearch), false},
	{rGA4FP, sm(mkTransfer, mkSignup, mkBook, mkElig), false},
	{rGads, sm(mkRx, mkSens, mkCond, mkBook, mkRetail, mkSignup), true},
	{rTikTok, sm(mkBook, mkSens, mkRx, mkSignup, mkRetail, mkCond), true},
	{rLinkedIn, sm(mkCond, mkSens, mkBook), true},
	{rLinkedInWA, sm(mkIntake, mkElig, mkSens), false},
	{rPinterest, sm(mkSens, mkRetail, mkCond), true},
	{rSnap, sm(mkSignup, mkRetail, mkSens), true},
	{rCriteo, sm(mkRx, mkRetail), true},
	{rEmailClick, sm(mkCond, mkSens), true},
	{rIcPing, sm(mkCopay, mkBook, mkPortal, mkSignup, mkIntake), false},
	{rIcMsg, sm(mkChat, mkChat, mkChat, mkChat, mkChat, mkChat, mkChat), false},
	{rIcEvents, sm(mkTransfer, mkReferral, mkSymptom, mkIntake, mkSens, mkRx), false},
	{rIcUpload, sm(mkChat, mkChat, mkChat), false},
	{rSegT, sm(mkElig, mkTransfer, mkReferral, mkPortal, mkChat, mkBook, mkSens, mkSymptom, mkRx, mkReferral), false},
	{rSegI, sm(mkIntake, mkSignup, mkElig, mkPortal), false},
	{rSegP, sm(mkCond, mkSearch, mkSens), false},
	{rSegFP, sm(mkCopay, mkBook, mkReferral, mkSymptom), false},
	{rRudder, sm(mkElig, mkTransfer, mkSignup, mkChat, mkIntake), false},
	{rMixForm, sm(mkCopay, mkTransfer, mkBook, mkSens, mkChat, mkIntake), false},
	{rMixEngage, sm(mkSignup, mkElig, mkIntake), false},
	{rMixJSON, sm(mkTransfer, mkBook, mkRx, mkPortal, mkSymptom), false},
	{rSpPV, sm(mkCond, mkPortal, mkSearch, mkReferral), false},
	{rSpUE, sm(mkTransfer, mkCopay, mkIntake, mkElig, mkCopay, mkBook), false},
	{rSpPOST, sm(mkSens, mkBook, mkReferral), false},
	{rPhB64, sm(mkCopay, mkTransfer, mkSignup, mkPortal, mkChat, mkSens), false},
	{rPhGzip, sm(mkTransfer, mkPortal, mkBook, mkSymptom, mkRx, mkReferral), false},
	{rPhLZ, sm(mkIntake, mkChat, mkSens), false},
	{rPhLZURI, sm(mkCond, mkBook, mkSymptom), false},
	{rPhReplay, sm(mkCopay, mkIntake, mkChat, mkElig, mkCopay), false},
	{rHotjar, sm(mkTransfer, mkIntake, mkCopay, mkIntake, mkChat, mkElig, mkSymptom, mkCopay), false},
	{rFullStory, sm(mkTransfer, mkReferral, mkCopay, mkIntake, mkChat, mkReferral, mkElig, mkCopay), false},
	{rDDPlain, sm(mkCopay, mkReferral, mkPortal, mkPortal, mkReferral, mkBook, mkChat), false},
	{rDDZlib, sm(mkTransfer, mkRx, mkPortal, mkIntake, mkCopay), false},
	{rDDProxy, sm(mkBook, mkChat, mkReferral), false},
	{rSentry, sm(mkTransfer, mkReferral, mkPortal, mkChat, mkBook, mkRx, mkSignup), false},
	{rJWT, sm(mkBook, mkSignup, mkPortal), false},
}

// negRenderers carry the hard negatives, in turn.
var negRenderers = []renderer{rMetaGET, rGA4GET, rSegT, rPhGzip, rMixForm, rSpPV, rDDZlib, rIcMsg, rTikTok, rLinkedInWA,
	rHotjar, rFullStory, rSentry, rGA4POST, rMetaPOST, rPhLZ, rSpUE, rRudder, rMixEngage, rGads, rPinterest, rSnap,
	rIcEvents, rDDPlain, rPhB64, rSegP, rSpPOST, rPhReplay, rLinkedIn, rMixJSON, rPhLZURI, rGA4FP, rSegFP, rDDProxy, rIcPing}

func (g *gen) corpus() []*flow {
	var all []*flow
	for _, rc := range positives {
		for _, mk := range rc.scenes {
			s := mk(g)
			if rc.needWho && s.who == nil {
				s.who = g.person()
				s.hash = []string{"em", "ph"}
			}
			f := rc.r.fn(g, s)
			f.notes = append([]string{s.note}, f.notes...)
			all = append(all, f)
		}
	}
	ri := 0
	for round := 0; round < 2; round++ {
		for _, d := range negatives {
			s := g.negScene(d)
			f := negRenderers[ri%len(negRenderers)].fn(g, s)
			ri++
			f.notes = append([]string{s.note}, f.notes...)
			all = append(all, f)
		}
	}
	// Shuffle so a file's number says nothing about its class.
	g.r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all
}
