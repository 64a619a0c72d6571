package web_test

import (
	"errors"
	"net/http"
	"testing"

	"latchkey/models"
)

const orgUsers = "/management/organizations/DEFAULT/users"

// TestAPIUsers: organization users through the API, administrators only,
// with the console's rules (item 12).
func TestAPIUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := e.api(e.apiToken(admin.Email, adminPassword))

	type user struct {
		ID, Email, DisplayName, Role string
		Enabled                      bool
	}
	var u user
	r := api.post(orgUsers, map[string]any{"email": "Vera@Example.com", "displayName": "Vera Viewer", "password": "a long enough passphrase"}).want(http.StatusCreated)
	r.decode(&u)
	if u.Email != "vera@example.com" || u.Role != "VIEWER" || !u.Enabled || r.Header.Get("Location") != orgUsers+"/"+u.ID {
		t.Fatalf("created %+v, Location %q", u, r.Header.Get("Location"))
	}
	api.post(orgUsers, map[string]any{"email": "vera@example.com", "displayName": "Again", "password": "a long enough passphrase"}).
		wantError(http.StatusBadRequest, "already exists")
	api.post(orgUsers, map[string]any{"email": "short@example.com", "displayName": "Short", "password": "short"}, invalidRequest()).
		want(http.StatusBadRequest)
	var page struct {
		Data       []user
		TotalCount int
	}
	api.get(orgUsers + "?q=vera").want(http.StatusOK).decode(&page)
	if page.TotalCount != 1 || page.Data[0].ID != u.ID {
		t.Errorf("search = %+v", page)
	}
	api.patch(orgUsers+"/"+u.ID, map[string]any{"displayName": "Vera V.", "role": "ADMIN"}).want(http.StatusOK).decode(&u)
	if u.DisplayName != "Vera V." || u.Role != "ADMIN" {
		t.Errorf("patched %+v", u)
	}
	// Gravitee's status endpoint disables and enables.
	api.do(http.MethodPut, orgUsers+"/"+u.ID+"/status", map[string]any{"enabled": false}).want(http.StatusOK).decode(&u)
	if u.Enabled {
		t.Error("PUT status false left the user enabled")
	}
	api.do(http.MethodPut, orgUsers+"/"+u.ID+"/status", map[string]any{"enabled": true}).want(http.StatusOK).decode(&u)
	api.do(http.MethodPut, orgUsers+"/"+admin.ID+"/status", map[string]any{"enabled": false}).wantError(http.StatusBadRequest, "own administrator access")
	api.do(http.MethodPut, orgUsers+"/"+u.ID+"/status", map[string]any{}, invalidRequest()).wantError(http.StatusBadRequest, "enabled is required")
	// Not your own demotion, nor your own deletion.
	api.patch(orgUsers+"/"+admin.ID, map[string]any{"enabled": false}).wantError(http.StatusBadRequest, "own administrator access")
	api.del(orgUsers+"/"+admin.ID).wantError(http.StatusBadRequest, "your own account")

	// Password reset: the rules apply, then the new password signs in.
	api.post(orgUsers+"/"+u.ID+"/resetPassword", map[string]any{"password": "vera@example.com"}).want(http.StatusBadRequest)
	api.post(orgUsers+"/"+u.ID+"/resetPassword", map[string]any{"password": "a brand new passphrase"}).want(http.StatusNoContent)
	if tok := e.apiToken("vera@example.com", "a brand new passphrase"); tok == "" {
		t.Error("the reset password does not sign in")
	}

	// Viewers may not even read users.
	viewer := e.createUser("viewer@example.com", "Val Viewer", adminPassword, models.RoleViewer)
	vapi := e.api(e.apiToken(viewer.Email, adminPassword))
	vapi.get(orgUsers).wantError(http.StatusForbidden, "Only administrators")
	vapi.get(orgUsers+"/"+u.ID).wantError(http.StatusForbidden, "Only administrators")
	vapi.post(orgUsers, map[string]any{"email": "x@example.com", "displayName": "X", "password": "a long enough passphrase"}).want(http.StatusForbidden)
	// A read-only token of an administrator may read, not write.
	ro := e.api(e.personalToken(admin.ID, "ro", true).Value)
	ro.get(orgUsers).want(http.StatusOK)
	ro.del(orgUsers + "/" + u.ID).want(http.StatusForbidden)

	// Delete: gone, audited.
	api.del(orgUsers + "/" + u.ID).want(http.StatusNoContent)
	api.get(orgUsers+"/"+u.ID).wantError(http.StatusNotFound, "User ["+u.ID+"] can not be found.")
	api.del(orgUsers + "/" + u.ID).want(http.StatusNotFound)
	if _, err := e.store.UserByID(e.ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("deleted user: %v", err)
	}
}

// TestAPIMembers: domain and application owners through Gravitee's member
// endpoints (item 12).
func TestAPIMembers(t *testing.T) {
	e, api, d, a := compatEnv(t)
	bob := e.createUser("bob@example.com", "Bob Owner", adminPassword, models.RoleViewer)
	dm := domainPath(d.ID) + "/members"
	type list struct {
		Memberships []struct{ ID, MemberID, MemberType, ReferenceID, ReferenceType, Role string }
		Metadata    struct {
			Users map[string]struct{ DisplayName, Email string }
		}
	}
	var l list
	api.get(dm).want(http.StatusOK).decode(&l)
	if len(l.Memberships) != 1 || l.Memberships[0].ReferenceType != "DOMAIN" { // the creator
		t.Fatalf("initial members = %+v", l)
	}
	api.post(dm, map[string]any{"memberId": bob.ID, "memberType": "USER", "role": "DOMAIN_OWNER"}).want(http.StatusCreated)
	api.post(dm, map[string]any{"memberId": bob.ID}).want(http.StatusCreated) // again: no change
	api.get(dm).want(http.StatusOK).decode(&l)
	if len(l.Memberships) != 2 || l.Metadata.Users[bob.ID].Email != "bob@example.com" {
		t.Fatalf("members = %+v", l)
	}
	if owners := e.domainByName("Acme").Owners; len(owners) != 2 {
		t.Errorf("stored owners = %v", owners)
	}
	api.post(dm, map[string]any{"memberId": "nobody"}).wantError(http.StatusBadRequest, "existing user")
	api.post(dm, map[string]any{"memberId": bob.ID, "memberType": "GROUP"}, invalidRequest()).wantError(http.StatusBadRequest, "no groups")
	api.post(dm, map[string]any{"memberId": bob.ID, "role": "DOMAIN_USER"}).wantError(http.StatusBadRequest, "role must be OWNER")
	api.del(dm + "/" + bob.ID).want(http.StatusNoContent)
	api.del(dm+"/"+bob.ID).wantError(http.StatusNotFound, "Membership ["+bob.ID+"] can not be found.")

	am := appPathAPI(d.ID, a.ID) + "/members"
	api.post(am, map[string]any{"memberId": bob.ID, "role": "APPLICATION_OWNER"}).want(http.StatusCreated)
	api.get(am).want(http.StatusOK).decode(&l)
	if len(l.Memberships) != 1 || l.Memberships[0].MemberID != bob.ID || l.Memberships[0].ReferenceType != "APPLICATION" {
		t.Fatalf("application members = %+v", l)
	}
	api.del(am + "/someone-else").want(http.StatusNotFound)
	api.del(am + "/" + bob.ID).want(http.StatusNoContent)
	api.get(am).want(http.StatusOK).decode(&l)
	if len(l.Memberships) != 0 {
		t.Errorf("after removal: %+v", l)
	}

	// Viewers may not read members.
	vapi := e.api(e.apiToken(bob.Email, adminPassword))
	vapi.get(dm).want(http.StatusForbidden)
	vapi.get(am).want(http.StatusForbidden)
	vapi.post(am, map[string]any{"memberId": bob.ID}).want(http.StatusForbidden)
}
